package net.vnsnap.host.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.config.HostConfig;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.qemu.QemuConfig;
import net.vnsnap.host.driver.qemu.QemuDriver;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent with real QEMU: a VM of an image with {@code cloudinit=true} (the test guest, kernel-booted, standing in
 * for a cloud image) sees its seed drive; the seed survives a slice snapshot, the VM's destruction and a restore.
 */
class CloudImageVmTest {
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+cloud";
    private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ybm9jbG91ZHNlZWR0ZXN0aW5nMDE seedmarker42";
    /** Prints the seed drive's ISO volume id, its read-only flag and whether the user-data's key is on it, every 2 s. */
    private static final String PROBE = "while true; do echo 3 >/proc/sys/vm/drop_caches; echo seed id=$(dd if=/dev/vda bs=1 skip=32808 "
            + "count=6 2>/dev/null) ro=$(cat /sys/block/vda/ro) marker=$(grep -a -c seedmarker42 /dev/vda); sleep 2; done";
    private static final Pattern SEED = Pattern.compile("^seed id=(\\S*) ro=(\\d) marker=(\\d+)$");
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int PORT_BASE = 48000 + (int) (ProcessHandle.current().pid() % 200) * 20;

    @TempDir
    Path tmp;
    private QemuDriver driver;
    private VirtualSwitch sw;
    private ExecutorService workers;
    private LocalHostAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        Path guest = TestGuest.dir();
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
        sw = VirtualSwitch.start("cloud", SwitchConfig.defaults());
        workers = Executors.newCachedThreadPool();
        AgentSettings s = new AgentSettings("h1", "127.0.0.1:4790", Map.of("kseed", new ImageSpec("kseed", guest.resolve("vmlinux"),
                guest.resolve("initramfs.cpio.gz"), HostConfig.DEFAULT_CMDLINE, null, true)), 2, "127.0.0.1", PORT_BASE, PORT_BASE + 9,
                tmp.resolve("disks"), null, Duration.ofMillis(300), Duration.ofMinutes(3), Duration.ofMinutes(2), "127.0.0.1", "127.0.0.1",
                PORT_BASE + 10, PORT_BASE + 19);
        agent = LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), Timing.system(), workers, null);
    }

    @AfterEach
    void tearDown() {
        if (agent != null) {
            agent.destroyAll();
            agent.close();
        }
        if (driver != null) {
            driver.close();
        }
        if (sw != null) {
            sw.close();
        }
        if (workers != null) {
            workers.shutdownNow();
        }
    }

    private static void assertSeedSeen(ConsoleLog log, int from) throws InterruptedException {
        Matcher m = log.await(SEED, from, WAIT);
        assertEquals("cidata", m.group(1), log.tail(10));
        assertEquals("1", m.group(2), "read-only\n" + log.tail(10));
        assertEquals("1", m.group(3), "the user-data with alice's key\n" + log.tail(10));
    }

    @Test
    void theSeedDriveSurvivesSnapshotDestroyAndRestore() throws Exception {
        VmInfo v;
        try {
            v = agent.createVm(new VmRequest("cvm", SLICE, 128, 1, "kseed", List.of(), Map.of("work", PROBE),
                    List.of(new GuestUser("alice", KEY))));
        } catch (HostException e) {
            assumeTrue(!e.getMessage().contains("genisoimage"), "genisoimage is not installed (bin/vnsnap setup installs it): " + e.getMessage());
            throw e;
        }
        assertSeedSeen(new ConsoleLog(Path.of(v.consoleLog())), 0);
        Path seed = driver.spec("cvm").disks().stream().filter(DiskSpec::readOnly).findFirst().orElseThrow().image();

        PrepareResult p = agent.prepareSnapshot(new SnapshotPlan("cloud-1", SLICE, 1, SnapshotMode.COW, true, List.of("cvm")));
        assertTrue(p.ready(), p.problems().toString());
        agent.takeSnapshot("cloud-1", null);
        agent.commitSnapshot("cloud-1");
        agent.destroyVm("cvm");
        assertTrue(Files.isRegularFile(seed), "the frozen seed is the snapshot's image of the drive and stays");

        agent.restoreSnapshot("cloud-1", 1);
        agent.resumeRestored("cloud-1", null);
        assertSeedSeen(new ConsoleLog(Path.of(agent.vm("cvm").consoleLog())), 0);
        assertTrue(driver.spec("cvm").disks().get(0).readOnly());
        HostException e = assertThrows(HostException.class, () -> agent.updateUsers("cvm", List.of(new GuestUser("bob", KEY))));
        assertEquals(HostException.Reason.UNSUPPORTED_MODE, e.reason(), "the restored VM is still a cloud image VM");
        agent.destroyVm("cvm");
        agent.deleteSnapshot("cloud-1");
    }
}
