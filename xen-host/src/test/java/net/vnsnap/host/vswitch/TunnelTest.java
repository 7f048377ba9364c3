package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import net.vnsnap.host.vswitch.frame.Ethernet;
import net.vnsnap.host.vswitch.tunnel.TunnelHeader;

/** Two switches in one JVM joined by a tunnel, as two hosts of one slice would be. */
class TunnelTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final Duration QUIET = Duration.ofMillis(100);
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice1", "link0");
    static final int VNI = 0x00BEEF;
    static final PortId PA = new PortId(SEG, "a");
    static final PortId PB = new PortId(SEG, "b");
    static final PortId TO_2 = new PortId(SEG, "to-host2");
    static final PortId TO_1 = new PortId(SEG, "to-host1");

    private VirtualSwitch s1;
    private VirtualSwitch s2;
    private TestVm a;
    private TestVm b;
    private final List<AutoCloseable> closeMe = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        SwitchConfig cfg = SwitchConfig.defaults().withTunnelBind(ANY);
        s1 = VirtualSwitch.start("host1", cfg);
        s2 = VirtualSwitch.start("host2", cfg);
        closeMe.add(s1);
        closeMe.add(s2);
        for (VirtualSwitch s : List.of(s1, s2)) {
            s.createSegment(SEG, VNI, ColourPolicy.HOLD_AND_RECORD);
        }
        s1.addTunnelPeer(TO_2, s2.tunnelAddress());
        s2.addTunnelPeer(TO_1, s1.tunnelAddress());
        a = new TestVm(0xA);
        b = new TestVm(0xB);
        closeMe.add(a);
        closeMe.add(b);
        a.switchPort = s1.addPort(PA, ANY, a.address());
        b.switchPort = s2.addPort(PB, ANY, b.address());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeMe) {
            c.close();
        }
    }

    @Test
    void framesCrossTheTunnelBothWays() throws IOException {
        byte[] hello = a.frame(Ethernet.BROADCAST, "hello host2".getBytes());
        a.send(hello);
        assertArrayEquals(hello, b.receive(WAIT));
        byte[] reply = b.frame(a.mac, "hello host1".getBytes());
        b.send(reply);
        assertArrayEquals(reply, a.receive(WAIT));
        a.send(b.mac, "unicast");
        assertEquals("unicast", TestVm.text(b.receive(WAIT)));
        PortCounters t1 = s1.counters(TO_2);
        assertEquals(2, t1.framesOut());
        assertEquals(1, t1.framesIn());
        assertEquals(reply.length, t1.bytesIn(), "tunnel byte counts exclude the 8-byte header");
        assertEquals(2, s2.counters(TO_1).framesIn());
    }

    @Test
    void theSendersEpochTravelsInTheHeaderAndIsHonouredRemotely() throws IOException {
        a.send(Ethernet.BROADCAST, "learn");
        assertNotNull(b.receive(WAIT));
        s1.advanceEpoch(PA, 1);
        a.send(b.mac, "post-cut");
        assertNull(b.receive(QUIET), "host2 must hold a's post-cut frame for pre-cut b");
        assertEquals(1, s2.counters(PB).heldNow());
        s2.advanceEpoch(PB, 1);
        assertEquals("post-cut", TestVm.text(b.receive(WAIT)));
        s2.advanceEpoch(PB, 2);
        a.send(b.mac, "in flight");
        assertEquals("in flight", TestVm.text(b.receive(WAIT)));
        List<RecordedFrame> rec = s2.drainRecorded(PB, 2);
        assertEquals(1, rec.size());
        assertEquals(1, rec.get(0).senderEpoch());
    }

    @Test
    void badTunnelInputIsDroppedAndCounted() throws IOException {
        InetSocketAddress t2 = s2.tunnelAddress();
        byte[] frame = TestVm.build(Ethernet.BROADCAST, 0xE, new byte[20]);
        try (DatagramChannel stranger = DatagramChannel.open()) {
            stranger.bind(ANY);
            stranger.send(encap(VNI, 0, frame, true), t2);
        }
        // From the real peer: unknown VNI, then no I flag, then a good one as a fence.
        InetSocketAddress t1 = s1.tunnelAddress();
        s1.close();
        try (DatagramChannel peer = DatagramChannel.open()) {
            peer.bind(t1);
            peer.send(encap(VNI + 1, 0, frame, true), t2);
            peer.send(encap(VNI, 0, frame, false), t2);
            peer.send(encap(VNI, 0, frame, true), t2);
            assertNotNull(b.receive(WAIT));
        }
        SwitchCounters c = s2.counters();
        assertEquals(1, c.switchDrops().get(DropReason.UNKNOWN_PEER));
        assertEquals(1, c.switchDrops().get(DropReason.UNKNOWN_VNI));
        assertEquals(1, c.switchDrops().get(DropReason.BAD_HEADER));
    }

    private static ByteBuffer encap(int vni, int epoch, byte[] frame, boolean iFlag) {
        ByteBuffer b = ByteBuffer.allocate(TunnelHeader.BYTES + frame.length);
        TunnelHeader.write(b, 0, vni, epoch);
        if (!iFlag) {
            b.put(0, (byte) 0);
        }
        b.put(TunnelHeader.BYTES, frame);
        return b;
    }
}
