package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.Capabilities;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.CutHook;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.snapshot.VmSnapshotService;
import net.vnsnap.host.store.CorruptSnapshotException;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Real QEMU VMs (TCG, 128 MiB, 1 vCPU) booting the test guest: networking, snapshots, restores and failures. */
class QemuVmTest {
    private static final Pattern CNT = Pattern.compile("^cnt (\\d+) ");
    private static final Pattern BLK = Pattern.compile("^blk (\\d+)$");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;
    private QemuDriver driver;
    private SnapshotStore store;
    private VmSnapshotService service;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        TestGuest.dir();
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
        store = SnapshotStore.open(tmp.resolve("store"));
        service = new VmSnapshotService(driver, store);
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void bootsToUserspaceAndReportsCapabilities() throws Exception {
        Capabilities caps = driver.capabilities();
        assertEquals("qemu", caps.hypervisor());
        assertTrue(caps.modes().contains(SnapshotMode.COW), caps.toString());
        VmSpec spec = QemuVms.guest("boot1", 128, "10.0.1.1/24", QemuVms.loneTunnel());
        driver.create(spec);
        assertEquals(VmState.CREATED, driver.state("boot1"));
        driver.start("boot1");
        ConsoleLog log = QemuVms.console(driver, "boot1");
        Matcher up = log.await(Pattern.compile("USERSPACE-UP name=boot1 ip=10.0.1.1/24 uptime=\\S+ mac=52:54:00:12:34:01"), 0,
                QemuVms.BOOT_TIMEOUT);
        assertTrue(up.find(0));
        assertEquals(VmState.RUNNING, driver.state("boot1"));
        driver.pause("boot1");
        assertEquals(VmState.PAUSED, driver.state("boot1"));
        driver.resume("boot1");
        driver.destroy("boot1");
        assertThrows(net.vnsnap.host.driver.NoSuchVmException.class, () -> driver.state("boot1"));
    }

    @Test
    void twoDirectlyConnectedVmsPingAndStreamTcpAndUdp() throws Exception {
        NetworkAttachment.UdpTunnel[] link = NetworkAttachment.UdpTunnel.directPair(QemuVms.ports(2));
        VmSpec a = QemuVms.guest("neta", 128, "10.0.2.1/24", link[0], "tcpstream recv 5000 100", "udpseq recv 6000 50");
        VmSpec b = QemuVms.guest("netb", 128, "10.0.2.2/24", link[1], "sleep 2; ping -c 5 10.0.2.1",
                "sleep 3; tcpstream send 10.0.2.1 5000 500 100", "sleep 3; udpseq send 10.0.2.1 6000 100 50");
        driver.create(a);
        driver.create(b);
        driver.start("neta");
        driver.start("netb");
        ConsoleLog la = QemuVms.console(driver, "neta");
        ConsoleLog lb = QemuVms.console(driver, "netb");
        la.await(QemuVms.UP, 0, QemuVms.BOOT_TIMEOUT);
        lb.await(QemuVms.UP, 0, QemuVms.BOOT_TIMEOUT);
        Matcher ping = lb.await(Pattern.compile("5 packets transmitted, (\\d) packets received"), 0, WAIT);
        assertTrue(Integer.parseInt(ping.group(1)) >= 4, "ping lost packets: " + lb.tail(10));
        Matcher rx = la.await(Pattern.compile("^tcp-rx 1000 sum=(\\w+) gaps=0 bad=0"), 0, WAIT);
        Matcher tx = lb.await(Pattern.compile("^tcp-tx 1000 sum=(\\w+)"), 0, WAIT);
        assertEquals(tx.group(1), rx.group(1), "TCP running checksums differ at record 1000");
        la.await(Pattern.compile("^udp-rx 200 "), 0, WAIT);
        assertFalse(la.contains("CHECKSUM-ERROR"), la.tail(20));
        assertFalse(la.contains("GAP"), la.tail(20));
    }

    @ParameterizedTest
    @EnumSource(SnapshotMode.class)
    void snapshotAndRestoreResumeExactlyAtTheCut(SnapshotMode mode) throws Exception {
        String name = "snap" + mode.name().toLowerCase(java.util.Locale.ROOT);
        VmSpec spec = QemuVms.guest(name, 128, "10.0.3.1/24", QemuVms.loneTunnel(), "memdirty 24 5000 200 cnt 1",
                "diskrec /dev/vda 50").withDisk(QemuVms.qcow2Disk(driver, tmp, "disk0", 8));
        ConsoleLog log = QemuVms.boot(driver, spec);
        log.await(Pattern.compile("^cnt 5 "), 0, WAIT);
        log.await(Pattern.compile("^blk 20$"), 0, WAIT);

        AtomicInteger linesAtCut = new AtomicInteger(-1);
        AtomicBoolean pausedAtCut = new AtomicBoolean();
        VmSnapshotService.Taken taken = service.snapshot(name, SnapshotRequest.of(mode, tmp.resolve("unused"), (vm, at) -> {
            pausedAtCut.set(driver.state(vm) == VmState.PAUSED);
            linesAtCut.set(log.lineCount());
        }));
        assertTrue(pausedAtCut.get(), "the cut hook must run while the VM is paused");
        assertEquals(VmState.RUNNING, driver.state(name), "the VM must run again after the snapshot");
        long cntAtCut = log.numbers(CNT, 0, linesAtCut.get()).stream().mapToLong(Long::longValue).max().orElseThrow();
        // Let the original run well past the cut so that a restore of a later state would be noticed.
        log.await(Pattern.compile("^cnt " + (cntAtCut + 8) + " "), 0, WAIT);
        assertFalse(log.contains("VIOLATION"), log.tail(20));
        assertEquals(List.of(taken.manifest().id()), store.list().stream().map(m -> m.id()).toList());
        assertTrue(taken.result().downtime().toNanos() > 0);
        long origLastBlk = log.numbers(BLK).stream().mapToLong(Long::longValue).max().orElseThrow();
        driver.destroy(name);

        Path frozen = taken.result().frozenSpec().disks().get(0).image();
        long highest = FrozenDisk.highestRecord(driver, frozen, tmp);
        assertTrue(highest > 0 && highest < origLastBlk, "frozen disk holds record " + highest + ", original reached " + origLastBlk);

        VmSnapshotService.Restored r = service.restore(taken.manifest().id(), null, Duration.ofMinutes(2));
        assertEquals(VmState.RESTORED_PAUSED, driver.state(name));
        ConsoleLog restored = QemuVms.console(driver, name);
        Thread.sleep(500);
        assertTrue(restored.numbers(CNT).isEmpty(), "a restored VM must stay paused until resumed: " + restored.tail(5));
        driver.resume(name);
        restored.await(Pattern.compile("^cnt " + (cntAtCut + 5) + " "), 0, WAIT);
        List<Long> counters = restored.numbers(CNT);
        long first = counters.get(0);
        assertTrue(first == cntAtCut + 1 || first == cntAtCut + 2,
                mode + ": restored counter starts at " + first + ", cut was at " + cntAtCut + "\n" + restored.tail(20));
        assertFalse(restored.contains("VIOLATION"), mode + ": torn memory image\n" + restored.tail(20));
        List<Long> blks = restored.numbers(BLK);
        assertTrue(blks.size() >= 2, restored.tail(20));
        assertTrue(blks.get(0) == highest + 1 || (blks.get(0) == highest && blks.get(1) == highest + 1),
                mode + ": frozen disk's highest record is " + highest + " but the restored guest wrote " + blks.subList(0, 2));
        System.out.printf("%s: downtime %.2f ms, total %d ms, %d bytes, restore %d ms, cut at cnt %d, disk record %d, phases %s%n",
                mode, taken.result().downtime().toNanos() / 1e6, taken.result().total().toMillis(), taken.result().bytesWritten(),
                r.result().loadTime().toMillis(), cntAtCut, highest, taken.result().phases());
    }

    @Test
    void corruptedImageIsRefusedBeforeRestore() throws Exception {
        VmSpec spec = QemuVms.guest("corrupt", 128, "10.0.4.1/24", QemuVms.loneTunnel(), "memdirty 8 1000 200");
        QemuVms.boot(driver, spec);
        VmSnapshotService.Taken taken = service.snapshot("corrupt", SnapshotRequest.of(SnapshotMode.STOP, tmp.resolve("x"), null));
        Path image = store.root().resolve(taken.manifest().id()).resolve("memory.img");
        try (var ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x42, 0x42}), Files.size(image) / 2);
        }
        driver.destroy("corrupt");
        CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class,
                () -> service.restore(taken.manifest().id(), null, Duration.ofMinutes(1)));
        assertTrue(e.getMessage().contains("memory.img") && e.getMessage().contains("SHA-256"), e.getMessage());
        assertThrows(net.vnsnap.host.driver.NoSuchVmException.class, () -> driver.state("corrupt"));
    }

    @Test
    void killingQemuDuringSnapshotLeavesNoSnapshot() throws Exception {
        VmSpec spec = QemuVms.guest("killed", 128, "10.0.5.1/24", QemuVms.loneTunnel(), "memdirty 32 2000 200 cnt 1");
        ConsoleLog log = QemuVms.boot(driver, spec);
        log.await(Pattern.compile("^cnt 2 "), 0, WAIT);
        long pid = driver.pid("killed");
        AtomicBoolean killed = new AtomicBoolean();
        // 4 MiB/s stretches the save over seconds, so the kill lands in the middle of the transfer.
        SnapshotRequest req = SnapshotRequest.of(SnapshotMode.COW, tmp.resolve("x"), null).withMaxBandwidth(4L << 20)
                .withProgress((vm, done, total, phase) -> {
                    if (done > (2L << 20) && !killed.getAndSet(true)) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                });
        SnapshotFailedException e = assertThrows(SnapshotFailedException.class, () -> service.snapshot("killed", req));
        assertTrue(killed.get(), "the test never saw the transfer in progress");
        assertEquals(VmState.SHUTOFF, e.stateAfter(), e.getMessage());
        assertTrue(store.list().isEmpty(), "a failed snapshot must not be listed");
        try (var s = Files.list(store.root())) {
            assertEquals(0, s.count(), "the incomplete snapshot directory must be removed");
        }
        assertEquals(0, SnapshotStore.open(store.root()).list().size());
    }

    @Test
    void snapshotIntoAFullDirectoryAbortsWithTheVmRunning() throws Exception {
        Path small = tmp.resolve("small");
        Files.createDirectories(small);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        assumeTrue(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0, "cannot mount a tmpfs (needs root): " + out);
        try {
            SnapshotStore smallStore = SnapshotStore.open(small.resolve("store"));
            VmSnapshotService smallService = new VmSnapshotService(driver, smallStore);
            VmSpec spec = QemuVms.guest("full", 128, "10.0.6.1/24", QemuVms.loneTunnel(), "memdirty 40 2000 200 cnt 1");
            ConsoleLog log = QemuVms.boot(driver, spec);
            log.await(Pattern.compile("^cnt 2 "), 0, WAIT);
            for (SnapshotMode mode : List.of(SnapshotMode.COW, SnapshotMode.STOP)) {
                SnapshotFailedException e = assertThrows(SnapshotFailedException.class,
                        () -> smallService.snapshot("full", SnapshotRequest.of(mode, tmp.resolve("x"), null)));
                assertEquals(VmState.RUNNING, e.stateAfter(), e.getMessage());
                assertEquals(VmState.RUNNING, driver.state("full"));
                int before = log.lineCount();
                long last = log.numbers(CNT).stream().mapToLong(Long::longValue).max().orElseThrow();
                log.await(Pattern.compile("^cnt " + (last + 2) + " "), before, WAIT);
                assertTrue(smallStore.list().isEmpty());
                try (var s = Files.list(smallStore.root())) {
                    assertEquals(0, s.count(), "the incomplete snapshot directory must be removed");
                }
            }
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(SnapshotMode.class)
    void theCutComesBeforeTheMemoryIsWritten(SnapshotMode mode) throws Exception {
        // A cut after the save (stop mode once did this) loses frames that reach the paused VM during the save.
        String name = "order" + mode.name().toLowerCase(java.util.Locale.ROOT);
        ConsoleLog log = QemuVms.boot(driver, QemuVms.guest(name, 128, "10.0.4.1/24", QemuVms.loneTunnel(), "memdirty 8 1000 200 cnt 1"));
        log.await(Pattern.compile("^cnt 2 "), 0, WAIT);
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        CutHook hook = new CutHook() {
            @Override
            public void beforePause(String vm) throws Exception {
                calls.add("before-pause " + driver.state(vm));
            }

            @Override
            public void atCut(String vm, java.time.Instant pausedAt) throws Exception {
                calls.add("cut " + driver.state(vm));
            }
        };
        VmSnapshotService.Taken taken = service.snapshot(name, SnapshotRequest.of(mode, tmp.resolve("unused"), hook));
        // In every mode the switch holds the VM's frames while it still runs, before it is paused (live mode: before
        // the pre-copy, since QEMU may pause it by itself at convergence), until the cut. A hold that starts only once
        // the VM is paused lets frames reach its backend unrecorded.
        assertEquals(List.of("before-pause RUNNING", "cut PAUSED"), calls);
        List<String> phases = List.copyOf(taken.result().phases().keySet());
        int cut = phases.indexOf("cut-hook");
        assertTrue(cut >= 0, phases.toString());
        assertFalse(phases.subList(0, cut).contains("write-memory") || phases.subList(0, cut).contains("final-copy"),
                mode + ": memory written before the cut: " + phases);
        // The steps are anchored on the wall clock: the hypervisor's pause falls between the first step's start and
        // the end of the cut hook (a few ms of slack: QEMU's event clock and the JVM's are read separately).
        java.time.Instant start = taken.result().startedAt();
        assertTrue(start != null, "the driver reports when its steps began");
        java.time.Duration upToCut = java.time.Duration.ZERO;
        for (String p : phases.subList(0, cut + 1)) {
            upToCut = upToCut.plus(taken.result().phases().get(p));
        }
        java.time.Duration slack = java.time.Duration.ofMillis(5);
        java.time.Instant pausedAt = taken.result().cutAt();
        assertTrue(!pausedAt.isBefore(start.minus(slack)) && !pausedAt.isAfter(start.plus(upToCut).plus(slack)),
                mode + ": pause at " + pausedAt + " outside the steps " + start + " + " + upToCut);
    }

    @Test
    void aFailingCutHookAbortsEveryModeWithTheVmRunning() throws Exception {
        VmSpec spec = QemuVms.guest("hook", 128, "10.0.8.1/24", QemuVms.loneTunnel(), "memdirty 16 5000 200 cnt 1",
                "diskrec /dev/vda 100").withDisk(QemuVms.qcow2Disk(driver, tmp, "disk0", 8));
        ConsoleLog log = QemuVms.boot(driver, spec);
        log.await(Pattern.compile("^cnt 2 "), 0, WAIT);
        for (SnapshotMode mode : SnapshotMode.values()) {
            SnapshotFailedException e = assertThrows(SnapshotFailedException.class, () -> service.snapshot("hook", mode, (vm, at) -> {
                throw new IllegalStateException("switch unreachable");
            }));
            assertTrue(e.getMessage().contains("cut hook failed: switch unreachable"), e.getMessage());
            assertEquals(VmState.RUNNING, e.stateAfter(), e.getMessage());
            assertEquals(VmState.RUNNING, driver.state("hook"), mode + ": VM left paused");
            int before = log.lineCount();
            long last = log.numbers(CNT).stream().mapToLong(Long::longValue).max().orElseThrow();
            log.await(Pattern.compile("^cnt " + (last + 2) + " "), before, WAIT);
        }
        assertTrue(store.list().isEmpty());
        assertFalse(log.contains("VIOLATION"));
        assertFalse(log.contains("diskrec write error"), log.tail(10));
    }
}
