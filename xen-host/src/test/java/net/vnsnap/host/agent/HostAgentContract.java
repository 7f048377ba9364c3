package net.vnsnap.host.agent;

import net.vnsnap.host.config.HostConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.driver.qemu.QemuConfig;
import net.vnsnap.host.driver.qemu.QemuDriver;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HostAgent contract with real QEMU guests (two VMs ping through the switch, cow snapshot, destroy, restore, resume),
 * checked against whatever agent a subclass provides: in-process or over XML-RPC with mutual TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HostAgentContract {
    static final Duration WAIT = Duration.ofSeconds(150);
    static final Pattern UP = Pattern.compile("USERSPACE-UP name=(\\S+)");
    static final Pattern CNT = Pattern.compile("^cnt (\\d+) ");
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+contract";

    /** Made in startAgent (an instance @TempDir is not yet injected in a per-class @BeforeAll). */
    protected Path tmp;
    protected LocalHostAgent local;
    private QemuDriver driver;
    private VirtualSwitch sw;
    private ExecutorService workers;

    /** The agent the contract is checked against, wrapping (or being) {@code local}. */
    protected abstract HostAgent agentUnderTest() throws Exception;

    /** First of 20 UDP ports this class's VMs may use. */
    protected abstract int portBase();

    @BeforeAll
    void startAgent() throws Exception {
        TestGuest.assumeQemu();
        Path guest = TestGuest.dir();
        tmp = java.nio.file.Files.createTempDirectory("hostd-contract");
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
        sw = VirtualSwitch.start("contract", SwitchConfig.defaults().withTunnelBind(new java.net.InetSocketAddress("127.0.0.1", 0)));
        workers = Executors.newCachedThreadPool();
        Path base = tmp.resolve("base.qcow2");
        Process img = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "16M").inheritIO().start();
        assertTrue(img.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && img.exitValue() == 0, "qemu-img create");
        AgentSettings s = new AgentSettings("hostd1", "127.0.0.1:" + sw.tunnelAddress().getPort(),
                Map.of("guest", new ImageSpec("guest", guest.resolve("vmlinux"), guest.resolve("initramfs.cpio.gz"),
                        HostConfig.DEFAULT_CMDLINE, null),
                        "disky", new ImageSpec("disky", guest.resolve("vmlinux"), guest.resolve("initramfs.cpio.gz"),
                        HostConfig.DEFAULT_CMDLINE, base)), 4, "127.0.0.1", portBase(), portBase() + 19, tmp.resolve("disks"), null,
                Duration.ofMillis(300), Duration.ofMinutes(3), Duration.ofMinutes(2));
        local = LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), Timing.system(), workers, null);
    }

    @AfterAll
    void stopAgent() {
        if (local != null) {
            local.destroyAll();
            local.close();
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
        if (tmp != null) {
            try {
                LocalHostAgent.deleteTree(tmp);
            } catch (java.io.IOException e) {
                System.err.println("cannot delete " + tmp + ": " + e);
            }
        }
    }

    private static VmRequest guest(int i, String peerIp) {
        return new VmRequest("cvm" + i, SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:10:0" + i, "lan0", "10.0.9." + i + "/24")),
                Map.of("work", "memdirty 4 100 500 cnt", "work2", "ping -i 0.5 " + peerIp));
    }

    @Test
    void unknownVmsAndSnapshotsAreNamedAsSuch() throws Exception {
        HostAgent a = agentUnderTest();
        assertEquals(HostException.Reason.NO_SUCH_VM, assertThrows(HostException.class, () -> a.vm("ghost")).reason());
        assertEquals(HostException.Reason.NO_SUCH_VM, assertThrows(HostException.class, () -> a.resumeVm("ghost")).reason());
        assertEquals(HostException.Reason.NO_SUCH_SNAPSHOT, assertThrows(HostException.class, () -> a.progress("nothing")).reason());
        assertEquals(HostException.Reason.BAD_REQUEST, assertThrows(HostException.class,
                () -> a.createVm(new VmRequest("x", SLICE, 128, 1, "no-such-image", List.of(), Map.of()))).reason());
        a.destroyVm("ghost");
    }

    @Test
    void twoGuestsPingThroughTheSwitchSurviveASnapshotAndContinueAfterRestore() throws Exception {
        HostAgent a = agentUnderTest();
        HostInfo info = a.info();
        assertEquals("qemu", info.hypervisor());
        assertTrue(info.modes().contains(SnapshotMode.COW), info.toString());
        assertEquals(List.of("disky", "guest"), info.images());

        a.createSegment(new SegmentSpec(SLICE, "lan0", 901, ColourPolicy.HOLD_AND_RECORD));
        VmInfo v1 = a.createVm(guest(1, "10.0.9.2"));
        VmInfo v2 = a.createVm(guest(2, "10.0.9.1"));
        assertEquals(VmState.RUNNING, v1.state());
        ConsoleLog log1 = new ConsoleLog(Path.of(v1.consoleLog()));
        ConsoleLog log2 = new ConsoleLog(Path.of(v2.consoleLog()));
        log1.await(UP, 0, WAIT);
        log2.await(UP, 0, WAIT);
        log1.await(Pattern.compile("bytes from 10\\.0\\.9\\.2: seq="), 0, WAIT);
        log2.await(Pattern.compile("bytes from 10\\.0\\.9\\.1: seq="), 0, WAIT);
        log1.await(CNT, 0, WAIT);

        PrepareResult p = a.prepareSnapshot(new SnapshotPlan("contract-1", SLICE, 1, SnapshotMode.COW, false, List.of("cvm1", "cvm2")));
        assertTrue(p.ready(), p.problems().toString());
        Instant cutAt = Instant.now().plusMillis(500);
        List<VmCut> cuts = a.takeSnapshot("contract-1", cutAt);
        assertEquals(2, cuts.size());
        for (VmCut c : cuts) {
            assertFalse(c.cutAt().isBefore(cutAt.minusMillis(5)), "paused at the cut instant, not before: " + c);
            assertTrue(c.memoryBytes() > 0, c.toString());
        }
        HostSnapshot s = a.commitSnapshot("contract-1");
        assertTrue(s.complete());
        assertEquals(List.of("contract-1"), a.snapshots().stream().map(HostSnapshot::snapshotId).toList());
        int linesAtSnapshot = log1.lineCount();
        log1.await(CNT, linesAtSnapshot, WAIT); // the original keeps counting after the snapshot
        List<Long> before = log1.numbers(CNT);
        long lastBefore = before.get(before.size() - 1);

        a.destroyVm("cvm1");
        a.destroyVm("cvm2");
        assertEquals(List.of(), a.vms());

        List<VmInfo> restored = a.restoreSnapshot("contract-1", 1);
        assertEquals(List.of(VmState.RESTORED_PAUSED, VmState.RESTORED_PAUSED), restored.stream().map(VmInfo::state).toList());
        List<VmInfo> resumed = a.resumeRestored("contract-1", null);
        assertEquals(List.of(VmState.RUNNING, VmState.RUNNING), resumed.stream().map(VmInfo::state).toList());
        assertEquals("contract-1", resumed.get(0).restoredFrom());

        ConsoleLog r1 = new ConsoleLog(Path.of(a.vm("cvm1").consoleLog()));
        ConsoleLog r2 = new ConsoleLog(Path.of(a.vm("cvm2").consoleLog()));
        Matcher first = r1.await(CNT, 0, WAIT);
        long firstAfter = Long.parseLong(first.group(1));
        assertTrue(firstAfter >= 1 && firstAfter <= lastBefore, "the restored counter continues from the snapshot (" + firstAfter
                + "), which lies before the original's last value " + lastBefore);
        r1.await(Pattern.compile("bytes from 10\\.0\\.9\\.2: seq="), 0, WAIT);
        r2.await(Pattern.compile("bytes from 10\\.0\\.9\\.1: seq="), 0, WAIT);
        assertFalse(r1.contains("VIOLATION"), r1.tail(20));

        a.destroyVm("cvm1");
        a.destroyVm("cvm2");
        a.deleteSnapshot("contract-1");
        a.removeSegment(SLICE, "lan0");
    }

    /** "tcp-rx N sum=.. gaps=G bad=B": the receiver's running report. */
    static final Pattern TCP_RX = Pattern.compile("tcp-rx (\\d+) sum=\\S+ gaps=(\\d+) bad=(\\d+)");

    @Test
    void twoGuestsStreamTcpThroughTheSwitchWithoutGapsOrCorruption() throws Exception {
        HostAgent a = agentUnderTest();
        a.createSegment(new SegmentSpec(SLICE, "lan1", 902, ColourPolicy.HOLD_AND_RECORD));
        VmInfo rx = a.createVm(new VmRequest("tvm1", SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:11:01", "lan1", "10.0.10.1/24")),
                Map.of("work", "tcpstream recv 5001 500")));
        VmInfo tx = a.createVm(new VmRequest("tvm2", SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:11:02", "lan1", "10.0.10.2/24")),
                Map.of("work", "tcpstream send 10.0.10.1 5001 2000 500")));
        try {
            ConsoleLog rxLog = new ConsoleLog(Path.of(rx.consoleLog()));
            ConsoleLog txLog = new ConsoleLog(Path.of(tx.consoleLog()));
            rxLog.await(UP, 0, WAIT);
            txLog.await(UP, 0, WAIT);
            // Wait for at least 2,000 records (32 KB) to have crossed the switch.
            long received = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (received < 2000 && System.nanoTime() < deadline) {
                Matcher m = rxLog.await(TCP_RX, Math.max(0, rxLog.lineCount() - 1), WAIT);
                received = Long.parseLong(m.group(1));
                assertEquals("0", m.group(2), "no gaps in the stream: " + rxLog.tail(5));
                assertEquals("0", m.group(3), "no corrupted records: " + rxLog.tail(5));
                Thread.sleep(200);
            }
            assertTrue(received >= 2000, "records received through the switch: " + received + "; " + rxLog.tail(5));
            assertFalse(rxLog.contains("GAP") || rxLog.contains("CHECKSUM-ERROR"), rxLog.tail(20));
        } finally {
            a.destroyVm("tvm1");
            a.destroyVm("tvm2");
            a.removeSegment(SLICE, "lan1");
        }
    }
}
