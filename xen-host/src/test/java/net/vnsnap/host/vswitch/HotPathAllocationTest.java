package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** Reads HotSpot's per-thread allocation counter of the selector thread while it forwards, holds and records. */
class HotPathAllocationTest {
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice-a", "lan");
    static final int BATCH = 100;

    @Test
    void forwardingHoldingAndRecordingAllocateNothingPerFrame() throws IOException {
        java.lang.management.ThreadMXBean std = ManagementFactory.getThreadMXBean();
        assumeTrue(std instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) std;
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        PortId pa = new PortId(SEG, "a");
        PortId pb = new PortId(SEG, "b");
        try (VirtualSwitch sw = VirtualSwitch.start("alloc", SwitchConfig.defaults().withTunnelBind(ANY));
             TestVm a = new TestVm(0xA); TestVm b = new TestVm(0xB)) {
            sw.createSegment(SEG, 9, ColourPolicy.HOLD_AND_RECORD);
            a.switchPort = sw.addPort(pa, ANY, a.address());
            b.switchPort = sw.addPort(pb, ANY, b.address());
            // A tunnel peer that nobody listens at: flooded frames also take the encapsulation path.
            sw.addTunnelPeer(new PortId(SEG, "t"), new InetSocketAddress("127.0.0.1", 9));
            byte[] unicast = TestVm.build(b.mac, a.mac, new byte[100]);
            byte[] flood = TestVm.build(Ethernet.BROADCAST, a.mac, new byte[100]);
            long tid = sw.selectorThreadId();

            int[] epoch = {0};
            Runnable round = () -> {
                try {
                    traffic(a, b, unicast, flood);
                    // A cut at each side per round: frames get held, released and recorded too.
                    int e = epoch[0];
                    sw.advanceEpoch(pa, e + 1);
                    for (int i = 0; i < 10; i++) {
                        a.send(unicast);
                    }
                    Await.until(() -> sw.counters(pb).heldNow() == 10, () -> "10 held");
                    sw.advanceEpoch(pb, e + 2);
                    for (int i = 0; i < 10; i++) {
                        assertNotNull(b.receive(Duration.ofSeconds(5)));
                    }
                    a.send(unicast);
                    assertNotNull(b.receive(Duration.ofSeconds(5)));
                    assertEquals(11, sw.drainRecorded(pb, e + 2).size());
                    sw.advanceEpoch(pa, e + 2);
                    epoch[0] = e + 2;
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            };
            for (int i = 0; i < 30; i++) {
                round.run(); // warm-up: class loading, JIT
            }
            // Plain forwarding (learned unicast, flooding, encapsulation): no control call runs meanwhile.
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 30; i++) {
                traffic(a, b, unicast, flood);
            }
            long forwarding = mx.getThreadAllocatedBytes(tid) - before;
            // With cuts: the control calls themselves allocate (tasks, counters records, drained copies).
            before = mx.getThreadAllocatedBytes(tid);
            long frames = 0;
            for (int i = 0; i < 30; i++) {
                round.run();
                frames += 2 * BATCH + 11;
            }
            long colouring = (mx.getThreadAllocatedBytes(tid) - before) / frames;
            System.out.printf("selector thread: %d bytes for %d forwarded frames; %d bytes/frame with cuts%n",
                    forwarding, 30 * 2 * BATCH, colouring);
            // Under one byte per frame: a single 16-byte object per frame would show as 16. What remains comes
            // from selector wake-ups (a few per batch), not from frames.
            assertTrue(forwarding < 30 * 2 * BATCH, "forwarding allocated " + forwarding + " bytes");
            assertTrue(colouring < 64, "with cuts, " + colouring + " bytes per frame");
            assertEquals(0, sw.counters(pb).droppedTotal());
        }
    }

    private static void traffic(TestVm a, TestVm b, byte[] unicast, byte[] flood) throws IOException {
        for (int i = 0; i < BATCH; i++) {
            a.send(unicast);
            a.send(flood);
        }
        for (int i = 0; i < 2 * BATCH; i++) {
            assertNotNull(b.receive(Duration.ofSeconds(5)), "frame " + i);
        }
    }
}
