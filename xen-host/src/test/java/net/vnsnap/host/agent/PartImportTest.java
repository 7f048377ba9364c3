package net.vnsnap.host.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PartFile;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
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

/** A VM's part of a snapshot copied to a second agent (own store, switch and hypervisor), merged there and restored with its channel state. */
class PartImportTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+move";
    private static final int PORT_BASE = 33000 + (int) (ProcessHandle.current().pid() % 300) * 40;

    @TempDir
    Path tmp;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private FakeTiming timing;
    private Host a;
    private Host b;

    /** One host: its hypervisor, switch and agent. */
    private record Host(FakeDriver driver, VirtualSwitch sw, LocalHostAgent agent) {
    }

    @BeforeEach
    void setUp() throws Exception {
        timing = new FakeTiming(T0);
        Path kernel = tmp.resolve("vmlinux");
        Files.write(kernel, new byte[16]);
        ExecutorService workers = Executors.newFixedThreadPool(4);
        closing.add(workers::shutdownNow);
        a = host("a", 0, kernel, workers);
        b = host("b", 20, kernel, workers);
    }

    private Host host(String id, int portOffset, Path kernel, ExecutorService workers) throws Exception {
        FakeDriver d = new FakeDriver(timing);
        VirtualSwitch sw = VirtualSwitch.start(id, SwitchConfig.defaults());
        AgentSettings s = new AgentSettings(id, "127.0.0.1:4790", Map.of("guest", new ImageSpec("guest", kernel, null, "console=ttyS0", null)),
                4, "127.0.0.1", PORT_BASE + portOffset, PORT_BASE + portOffset + 19, tmp.resolve(id + "-disks"), null, Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(30));
        LocalHostAgent agent = LocalHostAgent.open(s, d, sw, tmp.resolve(id + "-store"), timing, workers, p -> 1L << 40);
        closing.add(agent);
        closing.add(sw);
        return new Host(d, sw, agent);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private static VmRequest vm(String name, int octet) {
        return new VmRequest(name, SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:0" + octet, "lan0", "10.0.0." + octet + "/24")), Map.of());
    }

    /** Copies a part the way the coordinator does, in small chunks so that every file takes several. */
    static HostSnapshot copy(HostAgent from, HostAgent to, String id, String vm, int chunk) throws HostException {
        SnapshotPart part = from.snapshotPart(id, vm);
        if (!to.beginImport(part)) {
            return null;
        }
        for (PartFile f : part.files()) {
            for (long off = 0; off < f.size(); ) {
                byte[] data = from.readSnapshotPart(id, vm, f.path(), off, chunk);
                to.writeImport(id, vm, f.path(), off, data);
                off += data.length;
            }
        }
        return to.finishImport(id, vm);
    }

    /** vm1 and vm2 on host a, vm3 on host b; snapshot "s1" of all three, with vm2's broadcast recorded at vm1. */
    private byte[] snapshotWithChannelState() throws Exception {
        SegmentSpec lan = new SegmentSpec(SLICE, "lan0", 9, ColourPolicy.HOLD_AND_RECORD);
        a.agent().createSegment(lan);
        b.agent().createSegment(lan);
        a.agent().createVm(vm("vm1", 1));
        a.agent().createVm(vm("vm2", 2));
        b.agent().createVm(vm("vm3", 3));
        assertTrue(a.agent().prepareSnapshot(new SnapshotPlan("s1", SLICE, 1, SnapshotMode.COW, false, List.of("vm1"))).ready());
        assertTrue(b.agent().prepareSnapshot(new SnapshotPlan("s1", SLICE, 1, SnapshotMode.COW, false, List.of("vm3"))).ready());
        a.agent().takeSnapshot("s1", null);
        b.agent().takeSnapshot("s1", null);
        byte[] frame = new byte[64];
        for (int i = 0; i < 6; i++) {
            frame[i] = (byte) 0xff;
        }
        System.arraycopy(new byte[] {0x52, 0x54, 0, 0, 0, 2}, 0, frame, 6, 6);
        frame[12] = 0x08;
        frame[20] = 77;
        NetworkAttachment.UdpTunnel vm2 = nic(a, "vm2");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", vm2.localPort()))) {
            s.send(new DatagramPacket(frame, frame.length, new InetSocketAddress(vm2.remoteHost(), vm2.remotePort())));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (a.sw().counters(new PortId(new SegmentId(SLICE, "lan0"), "vm1.net0")).recordedNow() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, a.agent().commitSnapshot("s1").framesRecorded());
        b.agent().commitSnapshot("s1");
        return frame;
    }

    private static NetworkAttachment.UdpTunnel nic(Host h, String vm) {
        return (NetworkAttachment.UdpTunnel) h.driver().vms.get(vm).spec.nics().get(0).attachment();
    }

    @Test
    void aMovedVmIsMergedNextToTheTargetsOwnPartAndResumesWithItsChannelStateFirst() throws Exception {
        byte[] frame = snapshotWithChannelState();
        SnapshotPart part = a.agent().snapshotPart("s1", "vm1");
        assertEquals("part.manifest", part.files().get(0).path());
        assertTrue(part.files().stream().anyMatch(f -> f.path().equals("channels/vm1.net0.frames")), part.files().toString());
        assertEquals(List.of(new SegmentSpec(SLICE, "lan0", 9, ColourPolicy.HOLD_AND_RECORD)), part.segments());
        assertEquals(List.of(tmp.resolve("vmlinux").toAbsolutePath().toString()), part.requiredPaths());

        HostSnapshot merged = copy(a.agent(), b.agent(), "s1", "vm1", 1000);
        assertNotNull(merged);
        assertEquals(List.of("vm3", "vm1"), merged.vms().stream().map(VmCut::vm).toList());
        assertEquals(List.of(), staged(b), "the staging area is gone");
        assertEquals(null, copy(a.agent(), b.agent(), "s1", "vm1", 1000), "a second import of the same part is not needed");

        // The original is gone; only vm1 is restored on b, vm3 there is left alone.
        a.agent().destroyVm("vm1");
        List<VmInfo> restored = b.agent().restoreSnapshot("s1", 5, List.of("vm1"));
        assertEquals(List.of("vm1"), restored.stream().map(VmInfo::name).toList());
        assertEquals(VmState.RUNNING, b.agent().vm("vm3").state());
        NetworkAttachment.UdpTunnel vm1 = nic(b, "vm1");
        try (DatagramSocket r = new DatagramSocket(new InetSocketAddress("127.0.0.1", vm1.localPort()))) {
            r.setSoTimeout(10_000);
            Instant before = timing.instant();
            List<VmInfo> running = b.agent().resumeRestored("s1", null);
            assertEquals(VmState.RUNNING, running.get(0).state());
            assertNotNull(running.get(0).resumedAt(), "the host measured the resume instant");
            assertFalse(running.get(0).resumedAt().isBefore(before));
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            r.receive(got);
            assertArrayEquals(frame, java.util.Arrays.copyOf(got.getData(), got.getLength()),
                    "the frame recorded at vm1's port on host a is delivered first on host b");
        }
    }

    @Test
    void aDamagedCopyIsRefusedAndChangesNothing() throws Exception {
        snapshotWithChannelState();
        SnapshotPart part = a.agent().snapshotPart("s1", "vm1");
        assertTrue(b.agent().beginImport(part));
        for (PartFile f : part.files()) {
            byte[] data = a.agent().readSnapshotPart("s1", "vm1", f.path(), 0, (int) f.size());
            if (f.path().endsWith("memory.img")) {
                data[data.length / 2] ^= 1;
            }
            b.agent().writeImport("s1", "vm1", f.path(), 0, data);
        }
        HostException e = assertThrows(HostException.class, () -> b.agent().finishImport("s1", "vm1"));
        assertEquals(Reason.CORRUPT_SNAPSHOT, e.reason());
        assertTrue(e.getMessage().contains("memory.img"), e.getMessage());
        assertEquals(List.of("vm3"), b.agent().snapshots().get(0).vms().stream().map(VmCut::vm).toList());
        assertEquals(List.of(), staged(b));
        assertEquals(Reason.NO_SUCH_VM, assertThrows(HostException.class, () -> b.agent().restoreSnapshot("s1", 5, List.of("vm1"))).reason());
    }

    @Test
    void importsAreRefusedWhenImagesAreUnreachableOrWritesAreOutOfOrder() throws Exception {
        snapshotWithChannelState();
        SnapshotPart part = a.agent().snapshotPart("s1", "vm1");
        SnapshotPart elsewhere = new SnapshotPart(part.snapshotId(), part.slice(), part.epoch(), part.mode(), part.vm(), part.storeId(),
                part.files(), part.segments(), List.of("/nonexistent/vnsnap/vmlinux"));
        HostException e = assertThrows(HostException.class, () -> b.agent().beginImport(elsewhere));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        assertTrue(e.getMessage().contains("/nonexistent/vnsnap/vmlinux"), e.getMessage());
        assertEquals(List.of(), staged(b));

        SnapshotPart escaping = new SnapshotPart(part.snapshotId(), part.slice(), part.epoch(), part.mode(), part.vm(), part.storeId(),
                List.of(new PartFile("part.manifest", 1, "00"), new PartFile("../../etc/passwd", 1, "00")), part.segments(), List.of());
        assertEquals(Reason.BAD_REQUEST, assertThrows(HostException.class, () -> b.agent().beginImport(escaping)).reason());

        assertTrue(b.agent().beginImport(part));
        PartFile first = part.files().get(0);
        assertEquals(Reason.BAD_REQUEST, assertThrows(HostException.class,
                () -> b.agent().writeImport("s1", "vm1", first.path(), 5, new byte[1])).reason(), "writes must be sequential");
        b.agent().abortImport("s1", "vm1");
        assertEquals(List.of(), staged(b));
        assertEquals(Reason.NO_SUCH_SNAPSHOT, assertThrows(HostException.class, () -> a.agent().snapshotPart("s1", "vm3")).reason());
    }

    private List<Path> staged(Host h) throws Exception {
        Path imports = tmp.resolve((h == a ? "a" : "b") + "-store").resolve(".imports");
        if (!Files.exists(imports)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(imports)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
