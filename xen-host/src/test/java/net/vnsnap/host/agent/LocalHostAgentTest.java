package net.vnsnap.host.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.PortId;
import net.vnsnap.host.vswitch.SegmentId;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's bookkeeping over an in-memory hypervisor and a real switch: two phases, abort, failures, instants, restore. */
class LocalHostAgentTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+s1";
    private static final int PORT_BASE = 30000 + (int) (ProcessHandle.current().pid() % 300) * 40;

    @TempDir
    Path tmp;
    private FakeTiming timing;
    private FakeDriver driver;
    private VirtualSwitch sw;
    private ExecutorService workers;
    private final AtomicLong free = new AtomicLong(1L << 40);
    private LocalHostAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        timing = new FakeTiming(T0);
        driver = new FakeDriver(timing);
        sw = VirtualSwitch.start("test", SwitchConfig.defaults());
        workers = Executors.newFixedThreadPool(4);
        agent = open();
    }

    private LocalHostAgent open() throws Exception {
        Path kernel = tmp.resolve("vmlinux");
        if (!Files.exists(kernel)) {
            Files.write(kernel, new byte[16]);
            Files.write(tmp.resolve("disk.raw"), "raw image bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            Files.write(tmp.resolve("disk.qcow2"), new byte[16]);
        }
        AgentSettings s = new AgentSettings("h1", "127.0.0.1:4790", Map.of("guest", new ImageSpec("guest", kernel, null, "console=ttyS0", null),
                "rawdisk", new ImageSpec("rawdisk", kernel, null, "", tmp.resolve("disk.raw")),
                "qcowdisk", new ImageSpec("qcowdisk", kernel, null, "", tmp.resolve("disk.qcow2"))),
                4, "127.0.0.1", PORT_BASE, PORT_BASE + 39, tmp.resolve("disks"), null, Duration.ofMillis(200), Duration.ofSeconds(30),
                Duration.ofSeconds(30));
        return LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), timing, workers, p -> free.get());
    }

    @AfterEach
    void tearDown() {
        agent.close();
        sw.close();
        workers.shutdownNow();
    }

    private void twoVms() throws HostException {
        agent.createSegment(new SegmentSpec(SLICE, "lan0", 7, ColourPolicy.HOLD_AND_RECORD));
        for (int i = 1; i <= 2; i++) {
            agent.createVm(new VmRequest("vm" + i, SLICE, 128, 1, "guest",
                    List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:0" + i, "lan0", "10.0.0." + i + "/24")), Map.of()));
        }
    }

    private static SnapshotPlan plan(String id, int epoch, List<String> vms) {
        return new SnapshotPlan(id, SLICE, epoch, SnapshotMode.COW, false, vms);
    }

    private static Reason reason(ThrowingCall c) {
        return assertThrows(HostException.class, c::run).reason();
    }

    /** A call expected to fail. */
    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    private NetworkAttachment.UdpTunnel nic(String vm) {
        return (NetworkAttachment.UdpTunnel) driver.vms.get(vm).spec.nics().get(0).attachment();
    }

    @Test
    void aDriverThatReadsRawDisksGetsARawCopyOfTheImageDiskAndAQcow2ImageIsRefused() throws Exception {
        driver.writableDisk = HypervisorDriver.WritableDisk.RAW_COPY;
        agent.createVm(new VmRequest("d1", SLICE, 128, 1, "rawdisk", List.of(), Map.of()));
        var disk = driver.vms.get("d1").spec.disks().get(0);
        assertEquals("raw", disk.format());
        assertTrue(disk.image().toString().endsWith(".raw") && disk.image().startsWith(tmp.resolve("disks")), disk.toString());
        assertEquals("raw image bytes", Files.readString(disk.image()), "the VM's disk is a copy of the image's");
        Files.writeString(disk.image(), "written by d1");
        assertEquals("raw image bytes", Files.readString(tmp.resolve("disk.raw")), "the image itself is never written");

        HostException e = assertThrows(HostException.class,
                () -> agent.createVm(new VmRequest("d2", SLICE, 128, 1, "qcowdisk", List.of(), Map.of())));
        assertTrue(e.getMessage().contains("qcow2") && e.getMessage().contains("raw"), e.getMessage());
        assertFalse(driver.vms.containsKey("d2"), "nothing created");
        assertEquals(List.of("d1"), agent.vms().stream().map(VmInfo::name).toList());
    }

    @Test
    void twoPhaseSnapshotIsTrackedFromPrepareToCommit() throws Exception {
        twoVms();
        PrepareResult p = agent.prepareSnapshot(plan("snap1", 1, List.of("vm1", "vm2")));
        assertTrue(p.ready(), p.problems().toString());
        assertTrue(p.requiredBytes() >= 256L << 20, "RAM of both VMs: " + p.requiredBytes());
        assertEquals("prepared", agent.progress("snap1").phase());
        assertTrue(Files.isDirectory(tmp.resolve("store/snap1.partial")));
        assertEquals(List.of(), agent.snapshots());
        assertEquals(Reason.CONFLICT, reason(() -> agent.prepareSnapshot(plan("snap1", 1, List.of("vm1")))));
        assertEquals(Reason.CONFLICT, reason(() -> agent.commitSnapshot("snap1")), "commit before take");

        List<VmCut> cuts = agent.takeSnapshot("snap1", null);
        assertEquals(List.of("vm1", "vm2"), cuts.stream().map(VmCut::vm).toList());
        // The driver's steps, anchored where the driver said they began, then the agent's own "store" step.
        assertEquals(List.of("pause", "save", "store"), List.copyOf(cuts.get(0).phases().keySet()));
        assertEquals(cuts.get(0).cutAt().minus(Duration.ofMillis(3)), cuts.get(0).startedAt());
        assertEquals(Duration.ZERO, cuts.get(0).phases().get("store"));
        assertEquals("taken", agent.progress("snap1").phase());
        assertEquals(4096 * 2, agent.progress("snap1").bytesWritten());
        for (String vm : List.of("vm1", "vm2")) {
            assertEquals(1, sw.epoch(new PortId(new SegmentId(SLICE, "lan0"), vm + ".net0")), "port moved at the cut");
            assertEquals(VmState.RUNNING, agent.vm(vm).state());
        }
        assertEquals(Reason.CONFLICT, reason(() -> agent.takeSnapshot("snap1", null)), "taken twice");

        HostSnapshot s = agent.commitSnapshot("snap1");
        assertTrue(s.complete());
        assertEquals(SnapshotMode.COW, s.mode());
        assertEquals(1, s.epoch());
        assertEquals(2, s.vms().size());
        assertEquals(List.of(Duration.ofMillis(200)), timing.sleeps, "one grace period before draining channel state");
        assertTrue(Files.isRegularFile(tmp.resolve("store/snap1/slice.manifest")));
        assertFalse(Files.exists(tmp.resolve("store/snap1.partial")));
        assertEquals(List.of("snap1"), agent.snapshots().stream().map(HostSnapshot::snapshotId).toList());
        assertEquals("committed", agent.progress("snap1").phase());
        assertEquals(s, agent.commitSnapshot("snap1"), "commit is idempotent");
        assertEquals(Reason.NO_SUCH_SNAPSHOT, reason(() -> agent.takeSnapshot("other", null)));

        PrepareResult again = agent.prepareSnapshot(plan("snap2", 1, List.of("vm1")));
        assertFalse(again.ready(), "epoch must grow");
        assertTrue(again.problems().get(0).contains("already at epoch 1"), again.problems().toString());

        agent.deleteSnapshot("snap1");
        assertEquals(List.of(), agent.snapshots());
        agent.deleteSnapshot("snap1");
    }

    @Test
    void abortDeletesEverythingAndIsSafeToRepeat() throws Exception {
        twoVms();
        assertTrue(agent.prepareSnapshot(plan("a1", 1, List.of("vm1", "vm2"))).ready());
        agent.takeSnapshot("a1", null);
        agent.abortSnapshot("a1");
        agent.abortSnapshot("a1");
        try (Stream<Path> files = Files.list(tmp.resolve("store"))) {
            assertEquals(List.of(), files.toList(), "no file of the aborted snapshot is left");
        }
        assertEquals(Reason.NO_SUCH_SNAPSHOT, reason(() -> agent.progress("a1")));
        assertEquals(VmState.RUNNING, agent.vm("vm1").state());
        assertEquals(VmState.RUNNING, agent.vm("vm2").state());
        // Aborting right after prepare releases the reservation too.
        assertTrue(agent.prepareSnapshot(plan("a2", 2, List.of("vm1"))).ready());
        agent.abortSnapshot("a2");
        assertFalse(Files.exists(tmp.resolve("store/a2.partial")));
        assertTrue(agent.prepareSnapshot(plan("a3", 2, List.of("vm1"))).ready(), "the VM is free for the next snapshot");
    }

    @Test
    void aCutHookFailureLeavesEveryVmRunning() throws Exception {
        twoVms();
        assertTrue(agent.prepareSnapshot(plan("f1", 1, List.of("vm1", "vm2"))).ready());
        sw.removePort(new PortId(new SegmentId(SLICE, "lan0"), "vm2.net0")); // vm2's cut hook will find no port
        HostException e = assertThrows(HostException.class, () -> agent.takeSnapshot("f1", null));
        assertEquals(Reason.SNAPSHOT_FAILED, e.reason());
        assertTrue(e.getMessage().contains("vm2"), e.getMessage());
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        assertEquals(VmState.RUNNING, driver.state("vm2"));
        assertEquals("failed", agent.progress("f1").phase());
        assertEquals(Reason.CONFLICT, reason(() -> agent.commitSnapshot("f1")));
        agent.abortSnapshot("f1");
        assertFalse(Files.exists(tmp.resolve("store/f1.partial")));
    }

    @Test
    void prepareRefusesWhenTheStoreLacksSpaceOrTheModeIsUnsupported() throws Exception {
        twoVms();
        free.set(100L << 20);
        PrepareResult p = agent.prepareSnapshot(plan("s1", 1, List.of("vm1", "vm2")));
        assertFalse(p.ready());
        assertEquals(100L << 20, p.freeBytes());
        assertTrue(p.problems().stream().anyMatch(x -> x.contains("100 MiB free")), p.problems().toString());
        assertFalse(Files.exists(tmp.resolve("store/s1.partial")), "nothing reserved");
        assertEquals(Reason.NO_SUCH_SNAPSHOT, reason(() -> agent.takeSnapshot("s1", null)));

        free.set(1L << 40);
        PrepareResult live = agent.prepareSnapshot(new SnapshotPlan("s2", SLICE, 1, SnapshotMode.LIVE, false, List.of("vm1")));
        assertFalse(live.ready());
        assertTrue(live.problems().get(0).contains("mode live is not supported"), live.problems().toString());
        PrepareResult missing = agent.prepareSnapshot(plan("s3", 1, List.of("vm1", "ghost")));
        assertFalse(missing.ready());
        assertTrue(missing.problems().toString().contains("ghost"));
    }

    @Test
    void cutAtAndResumeAtInstantsAreHonoured() throws Exception {
        twoVms();
        agent.prepareSnapshot(plan("t1", 1, List.of("vm1", "vm2")));
        Instant cutAt = T0.plusSeconds(5);
        agent.takeSnapshot("t1", cutAt);
        assertEquals(List.of(cutAt), driver.pausedAt.get("vm1"), "vm1 paused exactly at the cut instant");
        assertEquals(List.of(cutAt), driver.pausedAt.get("vm2"));
        agent.commitSnapshot("t1");

        List<VmInfo> restored = agent.restoreSnapshot("t1", 1);
        assertEquals(List.of(VmState.RESTORED_PAUSED, VmState.RESTORED_PAUSED), restored.stream().map(VmInfo::state).toList());
        assertEquals("t1", restored.get(0).restoredFrom());
        Instant resumeAt = timing.instant().plusSeconds(3);
        List<VmInfo> running = agent.resumeRestored("t1", resumeAt);
        assertEquals(List.of(VmState.RUNNING, VmState.RUNNING), running.stream().map(VmInfo::state).toList());
        assertEquals(resumeAt, driver.resumedAt.get("vm1"));
        assertEquals(resumeAt, driver.resumedAt.get("vm2"));
        assertEquals(Reason.NO_SUCH_SNAPSHOT, reason(() -> agent.resumeRestored("t1", null)), "nothing left to resume");
        assertEquals(Reason.BAD_REQUEST, reason(() -> {
            agent.prepareSnapshot(plan("t2", 2, List.of("vm1")));
            agent.takeSnapshot("t2", timing.instant().plus(Duration.ofHours(2)));
        }));
    }

    @Test
    void channelStateIsStoredAtCommitAndReplayedFirstAtRestore() throws Exception {
        twoVms();
        agent.prepareSnapshot(plan("c1", 1, List.of("vm1"))); // vm2 stays at epoch 0, so its frames to vm1 are pre-cut
        agent.takeSnapshot("c1", null);
        byte[] frame = new byte[64];
        for (int i = 0; i < 6; i++) {
            frame[i] = (byte) 0xff; // broadcast
        }
        byte[] src = {0x52, 0x54, 0, 0, 0, 2};
        System.arraycopy(src, 0, frame, 6, 6);
        frame[12] = 0x08;
        frame[20] = 42;
        NetworkAttachment.UdpTunnel vm2 = nic("vm2");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", vm2.localPort()))) {
            s.send(new DatagramPacket(frame, frame.length, new InetSocketAddress(vm2.remoteHost(), vm2.remotePort())));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (sw.counters(new PortId(new SegmentId(SLICE, "lan0"), "vm1.net0")).recordedNow() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        HostSnapshot s = agent.commitSnapshot("c1");
        assertEquals(1, s.framesRecorded(), "vm2's pre-cut frame reached vm1 after its cut");

        agent.restoreSnapshot("c1", 1);
        NetworkAttachment.UdpTunnel vm1 = nic("vm1");
        try (DatagramSocket r = new DatagramSocket(new InetSocketAddress("127.0.0.1", vm1.localPort()))) {
            r.setSoTimeout(10_000);
            agent.resumeRestored("c1", null);
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            r.receive(got);
            byte[] data = java.util.Arrays.copyOf(got.getData(), got.getLength());
            assertArrayEquals(frame, data, "the recorded frame is delivered to the restored VM first");
        }
    }

    @Test
    void aSnapshotCountsOnlyTheFramesHeldSinceItsTake() throws Exception {
        twoVms();
        agent.prepareSnapshot(plan("h1", 1, List.of("vm1"))); // vm1 moves to epoch 1, vm2 stays at 0
        agent.takeSnapshot("h1", null);
        agent.commitSnapshot("h1");
        byte[] frame = new byte[64];
        for (int i = 0; i < 6; i++) {
            frame[i] = (byte) 0xff;
        }
        System.arraycopy(new byte[] {0x52, 0x54, 0, 0, 0, 1}, 0, frame, 6, 6);
        frame[12] = 0x08;
        NetworkAttachment.UdpTunnel vm1 = nic("vm1");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", vm1.localPort()))) {
            s.send(new DatagramPacket(frame, frame.length, new InetSocketAddress(vm1.remoteHost(), vm1.remotePort())));
        }
        PortId vm2Port = new PortId(new SegmentId(SLICE, "lan0"), "vm2.net0");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (sw.counters(vm2Port).heldTotal() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, sw.counters(vm2Port).heldTotal(), "vm1's post-cut frame waits for pre-cut vm2");
        // vm2's own snapshot releases it; a later one, without traffic, must not count it again.
        agent.prepareSnapshot(plan("h2", 2, List.of("vm2")));
        agent.takeSnapshot("h2", null);
        agent.commitSnapshot("h2");
        agent.prepareSnapshot(plan("h3", 3, List.of("vm2")));
        agent.takeSnapshot("h3", null);
        assertEquals(0, agent.commitSnapshot("h3").framesHeld(), "h3 held nothing; the frame held before h2 is not its");
    }

    @Test
    void aCorruptSnapshotIsRefusedBeforeAnyVmIsTouched() throws Exception {
        twoVms();
        agent.prepareSnapshot(plan("k1", 1, List.of("vm1", "vm2")));
        agent.takeSnapshot("k1", null);
        agent.commitSnapshot("k1");
        Path image;
        try (Stream<Path> w = Files.walk(tmp.resolve("store/k1/vms"))) {
            image = w.filter(p -> p.getFileName().toString().equals("memory.img")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(image);
        b[100] ^= 1;
        Files.write(image, b);
        assertEquals(Reason.CORRUPT_SNAPSHOT, reason(() -> agent.restoreSnapshot("k1", 1)));
        assertEquals(VmState.RUNNING, agent.vm("vm1").state(), "the running VMs were not destroyed");
        assertEquals(VmState.RUNNING, agent.vm("vm2").state());
        assertEquals(List.of(), driver.restored);
        Files.write(tmp.resolve("store/k1/slice.manifest"), "garbage\n".getBytes());
        assertEquals(Reason.CORRUPT_SNAPSHOT, reason(() -> agent.restoreSnapshot("k1", 1)));
    }

    @Test
    void openingTheStoreRemovesIncompleteSnapshots() throws Exception {
        twoVms();
        agent.prepareSnapshot(plan("r1", 1, List.of("vm1")));
        agent.takeSnapshot("r1", null);
        Files.createDirectories(tmp.resolve("store/orphan/vms"));
        agent.close();
        LocalHostAgent reopened = open();
        try (Stream<Path> files = Files.list(tmp.resolve("store"))) {
            assertEquals(List.of(), files.toList());
        }
        reopened.close();
    }

    @Test
    void vmRequestsAreCheckedAndNamedInErrors() throws Exception {
        agent.createSegment(new SegmentSpec(SLICE, "lan0", 7, ColourPolicy.HOLD_AND_RECORD));
        agent.createSegment(new SegmentSpec(SLICE, "lan0", 7, ColourPolicy.HOLD_AND_RECORD));
        assertEquals(Reason.CONFLICT, reason(() -> agent.createSegment(new SegmentSpec(SLICE, "lan0", 8, ColourPolicy.DROP))));
        VmRequest ok = new VmRequest("a", SLICE, 64, 1, "guest", List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:0a", "lan0", null)),
                Map.of("work", "ping -c 3 10.0.0.2"));
        assertEquals(Reason.BAD_REQUEST, reason(() -> agent.createVm(new VmRequest("b", SLICE, 64, 1, "nope", List.of(), Map.of()))));
        assertEquals(Reason.BAD_REQUEST, reason(() -> agent.createVm(new VmRequest("c", SLICE, 64, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:0c", "nolink", null)), Map.of()))));
        assertEquals(Reason.BAD_REQUEST, reason(() -> agent.createVm(new VmRequest("bad name", SLICE, 64, 1, "guest", List.of(), Map.of()))));
        agent.createVm(ok);
        assertEquals(Reason.CONFLICT, reason(() -> agent.createVm(ok)));
        assertTrue(((net.vnsnap.host.driver.BootSource.Kernel) driver.vms.get("a").spec.boot()).cmdline()
                .endsWith("console=ttyS0 vm.name=a vm.work=ping+-c+3+10.0.0.2"));
        assertEquals(Reason.NO_SUCH_VM, reason(() -> agent.vm("nope")));
        assertEquals(Reason.NO_SUCH_VM, reason(() -> agent.pauseVm("nope")));
        HostInfo info = agent.info();
        assertEquals(1, info.runningVms());
        assertEquals(List.of("guest", "qcowdisk", "rawdisk"), info.images());
        agent.destroyVm("a");
        agent.destroyVm("a");
        assertEquals(List.of(), agent.vms());
        agent.removeSegment(SLICE, "lan0");
        agent.removeSegment(SLICE, "lan0");
    }
}
