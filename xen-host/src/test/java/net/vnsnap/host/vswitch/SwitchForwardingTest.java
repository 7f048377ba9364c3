package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** MAC learning, flooding, peer re-learning, ageing and counters of one switch over real loopback UDP. */
class SwitchForwardingTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final Duration QUIET = Duration.ofMillis(100);
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice1", "lan0");
    static final long MAC_A = 0x5254_0000_000AL;
    static final long MAC_B = 0x5254_0000_000BL;
    static final long MAC_C = 0x5254_0000_000CL;

    private VirtualSwitch sw;
    private final List<TestVm> vms = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (TestVm vm : vms) {
            vm.close();
        }
        if (sw != null) {
            sw.close();
        }
    }

    private void start(SwitchConfig config) throws IOException {
        sw = VirtualSwitch.start("fwd", config);
        sw.createSegment(SEG, 1, ColourPolicy.HOLD_AND_RECORD);
    }

    private TestVm attach(String port, long mac, boolean announce) throws IOException {
        TestVm vm = new TestVm(mac);
        vms.add(vm);
        vm.switchPort = sw.addPort(new PortId(SEG, port), ANY, announce ? vm.address() : null);
        return vm;
    }

    @Test
    void broadcastReachesEveryOtherPortOnly() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, true);
        TestVm b = attach("b", MAC_B, true);
        TestVm c = attach("c", MAC_C, true);
        byte[] f = a.frame(Ethernet.BROADCAST, "hello".getBytes());
        a.send(f);
        assertArrayEquals(f, b.receive(WAIT));
        assertArrayEquals(f, c.receive(WAIT));
        assertNull(a.receive(QUIET), "a broadcast must not come back to its sender");
    }

    @Test
    void unknownUnicastIsFloodedThenLearnedAddressesGetOnlyTheirPort() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, true);
        TestVm b = attach("b", MAC_B, true);
        TestVm c = attach("c", MAC_C, true);
        a.send(MAC_B, "who is b");
        assertEquals("who is b", TestVm.text(b.receive(WAIT)));
        assertEquals("who is b", TestVm.text(c.receive(WAIT)), "unknown unicast must be flooded");
        b.send(MAC_A, "b here");
        assertEquals("b here", TestVm.text(a.receive(WAIT)));
        a.send(MAC_B, "direct");
        assertEquals("direct", TestVm.text(b.receive(WAIT)));
        assertNull(c.receive(QUIET), "c must see neither the reply to a nor the now-learned unicast to b");
    }

    @Test
    void portLearnsItsVmAddressAndRelearnsItWhenTheVmComesBackElsewhere() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, false);
        TestVm b = attach("b", MAC_B, true);
        PortId pa = new PortId(SEG, "a");
        b.send(MAC_A, "before a spoke");
        Await.framesIn(sw, 1);
        assertEquals(1, sw.counters(pa).dropped(DropReason.NO_PEER), "a's address is unknown yet");

        a.send(Ethernet.BROADCAST, "a up");
        assertEquals("a up", TestVm.text(b.receive(WAIT)));
        assertEquals(a.address(), sw.counters(pa).peer());
        b.send(MAC_A, "to a");
        assertEquals("to a", TestVm.text(a.receive(WAIT)));

        // The "VM" is restored elsewhere: a new socket, same MAC, same switch port.
        TestVm a2 = new TestVm(MAC_A);
        vms.add(a2);
        a2.switchPort = a.switchPort;
        a2.send(Ethernet.BROADCAST, "a back");
        assertEquals("a back", TestVm.text(b.receive(WAIT)));
        b.send(MAC_A, "to new a");
        assertEquals("to new a", TestVm.text(a2.receive(WAIT)));
        assertNull(a.receive(QUIET), "the old address must no longer get a's frames");
        PortCounters ca = sw.counters(pa);
        assertEquals(a2.address(), ca.peer());
        assertEquals(2, ca.peerChanges());
    }

    @Test
    void countersCountFramesBytesAndDropsByReason() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, true);
        TestVm b = attach("b", MAC_B, true);
        int[] sizes = {60, 200, 1514};
        long bytes = 0;
        for (int size : sizes) {
            a.send(a.frame(MAC_B, new byte[size - 14]));
            bytes += size;
            assertNotNull(b.receive(WAIT));
        }
        a.send(new byte[10]);
        a.send(a.frame(MAC_B, new byte[3000]));
        a.send(a.frame(MAC_A, new byte[50]));
        // The three bad frames produce no output; a broadcast afterwards proves they were processed.
        a.send(Ethernet.BROADCAST, "fence");
        assertEquals("fence", TestVm.text(b.receive(WAIT)));
        PortCounters ca = sw.counters(new PortId(SEG, "a"));
        PortCounters cb = sw.counters(new PortId(SEG, "b"));
        assertEquals(7, ca.framesIn());
        assertEquals(bytes + 10 + 3014 + 64 + 19, ca.bytesIn());
        assertEquals(1, ca.dropped(DropReason.RUNT));
        assertEquals(1, ca.dropped(DropReason.OVERSIZE));
        assertEquals(1, ca.dropped(DropReason.FILTERED));
        assertEquals(0, ca.framesOut());
        assertEquals(4, cb.framesOut());
        assertEquals(bytes + 19, cb.bytesOut());
        assertEquals(0, cb.droppedTotal());
    }

    @Test
    void learnedAddressesAgeOut() throws IOException {
        AtomicLong now = new AtomicLong();
        start(SwitchConfig.defaults().withMacAgeing(Duration.ofSeconds(1), now::get));
        TestVm a = attach("a", MAC_A, true);
        TestVm b = attach("b", MAC_B, true);
        TestVm c = attach("c", MAC_C, true);
        a.send(Ethernet.BROADCAST, "a up");
        assertNotNull(b.receive(WAIT));
        assertNotNull(c.receive(WAIT));
        b.send(MAC_A, "fresh");
        assertEquals("fresh", TestVm.text(a.receive(WAIT)));
        assertNull(c.receive(QUIET), "a is learned: c must not see b's unicast");
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        b.send(MAC_A, "aged");
        assertEquals("aged", TestVm.text(a.receive(WAIT)));
        assertEquals("aged", TestVm.text(c.receive(WAIT)), "after ageing, a's address is unknown and flooded");
    }

    @Test
    void removedPortGetsNothingAndDisappearsFromCounters() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, true);
        TestVm b = attach("b", MAC_B, true);
        TestVm c = attach("c", MAC_C, true);
        c.send(Ethernet.BROADCAST, "c up");
        assertNotNull(a.receive(WAIT));
        assertNotNull(b.receive(WAIT));
        sw.removePort(new PortId(SEG, "c"));
        a.send(MAC_C, "to gone c");
        assertEquals("to gone c", TestVm.text(b.receive(WAIT)), "c's address was forgotten: flooded");
        assertNull(c.receive(QUIET));
        assertFalse(sw.counters().port(new PortId(SEG, "c")).isPresent());
        assertThrows(IllegalArgumentException.class, () -> sw.counters(new PortId(SEG, "c")));
    }

    @Test
    void removedSegmentTakesItsPortsAndFreesItsVni() throws IOException {
        start(SwitchConfig.defaults());
        TestVm a = attach("a", MAC_A, true);
        attach("b", MAC_B, true);
        sw.removeSegment(SEG);
        assertEquals(0, sw.counters().ports().size());
        sw.createSegment(new SegmentId("slice2", "lan0"), 1, ColourPolicy.NONE);
        SegmentId seg2 = new SegmentId("slice2", "lan0");
        TestVm c = new TestVm(MAC_C);
        vms.add(c);
        c.switchPort = sw.addPort(new PortId(seg2, "c"), ANY, c.address());
        a.send(Ethernet.BROADCAST, "into a removed port");
        assertNull(c.receive(QUIET), "a's old port is closed and belonged to another segment");
    }

    @Test
    void controlCallsRejectBadArguments() throws IOException {
        start(SwitchConfig.defaults());
        attach("a", MAC_A, true);
        PortId pa = new PortId(SEG, "a");
        assertThrows(IllegalArgumentException.class, () -> sw.createSegment(SEG, 2, ColourPolicy.NONE));
        assertThrows(IllegalArgumentException.class,
                () -> sw.createSegment(new SegmentId("slice1", "other"), 1, ColourPolicy.NONE), "VNI in use");
        assertThrows(IllegalArgumentException.class, () -> sw.addPort(pa, ANY));
        assertThrows(IllegalArgumentException.class, () -> sw.advanceEpoch(pa, 0), "epochs only grow");
        assertThrows(IllegalArgumentException.class, () -> sw.advanceEpoch(pa, 1 << 24), "24-bit epochs");
        assertThrows(IllegalStateException.class,
                () -> sw.addTunnelPeer(new PortId(SEG, "t"), new InetSocketAddress("127.0.0.1", 9)));
        sw.close();
        assertThrows(IllegalStateException.class, () -> sw.epoch(pa));
    }
}
