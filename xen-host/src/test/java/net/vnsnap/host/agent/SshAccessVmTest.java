package net.vnsnap.host.agent;

import net.vnsnap.host.config.HostConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.driver.qemu.QemuConfig;
import net.vnsnap.host.driver.qemu.QemuDriver;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Experimenter SSH through the host agent with a real guest: logins from the request, an update, and two restores. */
class SshAccessVmTest {
    private static final Pattern SSH_UP = Pattern.compile("vnsnap-access: SSH-UP");
    private static final Duration WAIT = Duration.ofSeconds(150);
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+sshagent";

    @TempDir
    Path tmp;
    private QemuDriver driver;
    private VirtualSwitch sw;
    private ExecutorService workers;
    private LocalHostAgent agent;
    private long t0;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh")) && Files.isExecutable(Path.of("/usr/bin/ssh-keygen")),
                "openssh-client is not installed; skipping SSH tests");
        Path guest = TestGuest.dir();
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
        sw = VirtualSwitch.start("sshagent", SwitchConfig.defaults().withTunnelBind(new InetSocketAddress("127.0.0.1", 0)));
        workers = Executors.newCachedThreadPool();
        int udp = 45000 + (int) (ProcessHandle.current().pid() % 200) * 10;
        int ssh = 23000 + (int) (ProcessHandle.current().pid() % 200) * 10;
        AgentSettings s = new AgentSettings("sshhost", "127.0.0.1:" + sw.tunnelAddress().getPort(),
                Map.of("guest", new ImageSpec("guest", guest.resolve("vmlinux"), guest.resolve("initramfs.cpio.gz"),
                        HostConfig.DEFAULT_CMDLINE, null)), 2, "127.0.0.1", udp, udp + 9, tmp.resolve("disks"), null,
                Duration.ofMillis(200), Duration.ofMinutes(3), Duration.ofMinutes(2), "127.0.0.1", "127.0.0.1", ssh, ssh + 9);
        agent = LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), Timing.system(), workers, null);
        t0 = System.nanoTime();
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

    @Test
    void usersLogInOnTheReportedPortAcrossAnUpdateAndRestores() throws Exception {
        GuestUser alice = new GuestUser("alice", keyPair("alice"));
        GuestUser bob = new GuestUser("bob", keyPair("bob"));
        GuestUser carol = new GuestUser("carol", keyPair("carol"));
        keyPair("mallory");
        agent.createSegment(new SegmentSpec(SLICE, "lan0", 931, ColourPolicy.HOLD_AND_RECORD));
        VmInfo v = agent.createVm(new VmRequest("svm", SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:31:01", "lan0", "10.0.31.1/24")), Map.of(),
                List.of(alice, bob)));
        assertNotNull(v.ssh(), "a VM with users reports its SSH endpoint");
        assertEquals("127.0.0.1", v.ssh().host());
        int port = v.ssh().port();
        new ConsoleLog(Path.of(v.consoleLog())).await(SSH_UP, 0, WAIT);
        step("booted, sshd up on port " + port);

        assertLogin(port, "alice", "alice");
        assertLogin(port, "bob", "bob");
        assertRefused(port, "alice", "mallory");
        assertRefused(port, "bob", "alice");
        step("request's users: 2 logins, 2 refusals");

        agent.updateUsers("svm", List.of(alice, bob, carol));
        assertLogin(port, "carol", "carol");
        step("updateUsers: carol in");

        PrepareResult p = agent.prepareSnapshot(new SnapshotPlan("ssh-1", SLICE, 1, SnapshotMode.COW, false, List.of("svm")));
        assertTrue(p.ready(), p.problems().toString());
        agent.takeSnapshot("ssh-1", null);
        agent.commitSnapshot("ssh-1");
        step("cow snapshot with alice, bob, carol");

        // The host learns of a newer list after the snapshot; a restore over the running VM must not bring bob back.
        agent.updateUsers("svm", List.of(alice, carol));
        assertRefused(port, "bob", "bob");
        VmInfo r1 = agent.restoreSnapshot("ssh-1", 2).get(0);
        assertEquals(VmState.RESTORED_PAUSED, r1.state());
        assertNotNull(r1.ssh());
        agent.resumeRestored("ssh-1", null);
        int port1 = agent.vm("svm").ssh().port();
        assertLogin(port1, "alice", "alice");
        assertLogin(port1, "carol", "carol");
        assertRefused(port1, "bob", "bob");
        step("restored over the running VM on port " + port1 + ": the newer list was sent after the resume");

        agent.destroyVm("svm");
        try (ServerSocket squatter = new ServerSocket()) {
            // Someone else takes the old port while the VM is gone: the restore must move.
            squatter.setReuseAddress(true);
            squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port1));
            VmInfo r2 = agent.restoreSnapshot("ssh-1", 3).get(0);
            assertNotEquals(port1, r2.ssh().port(), "the old port is taken");
            agent.resumeRestored("ssh-1", null);
            int port2 = agent.vm("svm").ssh().port();
            assertEquals(r2.ssh().port(), port2);
            assertLogin(port2, "alice", "alice");
            assertLogin(port2, "bob", "bob");
            assertRefused(port2, "alice", "mallory");
            step("destroyed, restored onto port " + port2 + " with the snapshot's users");
        }
        agent.destroyVm("svm");
    }

    private void step(String what) {
        System.out.printf("SshAccessVmTest %6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /** Makes an ed25519 key pair {@code id_<name>} in the temp directory; returns the public key line. */
    private String keyPair(String name) throws Exception {
        Path key = tmp.resolve("id_" + name);
        Result r = run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", key.toString()));
        assertEquals(0, r.exit, r.output);
        return Files.readString(tmp.resolve("id_" + name + ".pub"), StandardCharsets.UTF_8).strip();
    }

    private void assertLogin(int port, String user, String key) throws Exception {
        Result r = ssh(port, user, key);
        assertEquals(0, r.exit, user + " with the key of " + key + " must get in on port " + port + ": " + r.output);
    }

    private void assertRefused(int port, String user, String key) throws Exception {
        Result r = ssh(port, user, key);
        assertEquals(255, r.exit, user + " with the key of " + key + " must be refused on port " + port + ": " + r.output);
        assertTrue(r.output.contains("Permission denied"), r.output);
    }

    private record Result(int exit, String output) {
    }

    private Result ssh(int port, String user, String key) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", tmp.resolve("id_" + key).toString(),
                "-p", Integer.toString(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=60", "-o", "LogLevel=ERROR",
                user + "@127.0.0.1", "true"));
        return run(argv);
    }

    private static Result run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(argv.get(0) + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }
}
