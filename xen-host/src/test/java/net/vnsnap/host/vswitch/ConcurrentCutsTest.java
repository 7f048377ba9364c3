package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** Three VM threads send, receive and take their cuts concurrently with the switch thread; checks orphans, loss, order. */
class ConcurrentCutsTest {
    static final int VMS = 3;
    static final int FRAMES = 300;
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice-c", "lan");

    /** What one VM thread saw: frames it read before its cut and every frame it read. */
    record Seen(List<int[]> preCut, List<int[]> all) {
    }

    @Test
    void cutsRacingWithTrafficLeaveNoOrphansAndLoseNothing() throws Exception {
        List<TestVm> vms = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(VMS);
        try (VirtualSwitch sw = VirtualSwitch.start("concurrent", SwitchConfig.defaults())) {
            sw.createSegment(SEG, 4, ColourPolicy.HOLD_AND_RECORD);
            List<PortId> ports = new ArrayList<>();
            for (int i = 0; i < VMS; i++) {
                TestVm vm = new TestVm(0x5254_0000_0200L + i);
                vms.add(vm);
                ports.add(new PortId(SEG, "vm" + i));
                vm.switchPort = sw.addPort(ports.get(i), ANY, vm.address());
                vm.send(Ethernet.BROADCAST, "hello");
            }
            Await.framesIn(sw, VMS);
            for (TestVm vm : vms) {
                vm.drain();
            }
            int[][] sentTo = new int[VMS][VMS];
            List<Future<Seen>> results = new ArrayList<>();
            for (int i = 0; i < VMS; i++) {
                final int me = i;
                results.add(pool.submit(() -> runVm(sw, vms, ports, me, sentTo[me], new Random(100 + me))));
            }
            List<Seen> seen = new ArrayList<>();
            for (Future<Seen> f : results) {
                seen.add(f.get(60, TimeUnit.SECONDS));
            }
            // Let the switch finish: every frame sent must reach its receiver.
            for (int r = 0; r < VMS; r++) {
                int expected = 0;
                for (int s = 0; s < VMS; s++) {
                    expected += sentTo[s][r];
                }
                while (seen.get(r).all.size() < expected) {
                    byte[] f = vms.get(r).receive(Duration.ofSeconds(5));
                    if (f == null) {
                        break;
                    }
                    seen.get(r).all.add(parse(f));
                }
                assertEquals(expected, seen.get(r).all.size(), "frames received by vm" + r);
            }
            for (int r = 0; r < VMS; r++) {
                for (int[] m : seen.get(r).preCut) {
                    assertEquals(0, m[2], "vm" + r + " read a post-cut frame of vm" + m[0] + " before its own cut");
                }
                for (int s = 0; s < VMS; s++) {
                    int next = 0;
                    for (int[] m : seen.get(r).all) {
                        if (m[0] == s) {
                            assertEquals(next++, m[1], "order of vm" + s + "'s frames at vm" + r);
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            for (TestVm vm : vms) {
                vm.close();
            }
        }
    }

    /** One VM: sends numbered frames to random peers, reads what arrives, and cuts at a random point. */
    private static Seen runVm(VirtualSwitch sw, List<TestVm> vms, List<PortId> ports, int me, int[] sentTo,
                              Random rnd) throws IOException, InterruptedException {
        TestVm vm = vms.get(me);
        // Cuts spread over the run, so frames cross them in both directions for a while.
        int cutAt = (me + 1) * FRAMES / (VMS + 1) + rnd.nextInt(21) - 10;
        int[] seqTo = new int[VMS];
        int colour = 0;
        List<int[]> pre = new ArrayList<>();
        List<int[]> all = new ArrayList<>();
        for (int n = 0; n < FRAMES; n++) {
            if (n == cutAt) {
                // Paused: what it has read so far is its saved state; then the switch cut, then it runs on.
                for (byte[] f : vm.drain()) {
                    int[] m = parse(f);
                    pre.add(m);
                    all.add(m);
                }
                sw.advanceEpoch(ports.get(me), 1);
                colour = 1;
            }
            int to = (me + 1 + rnd.nextInt(VMS - 1)) % VMS;
            ByteBuffer p = ByteBuffer.allocate(12).putInt(me).putInt(seqTo[to]++).putInt(colour);
            vm.send(TestVm.build(vms.get(to).mac, vm.mac, p.array()));
            sentTo[to]++;
            for (byte[] f : vm.drain()) {
                int[] m = parse(f);
                all.add(m);
                if (colour == 0) {
                    pre.add(m);
                }
            }
            if (rnd.nextInt(8) == 0) {
                Thread.sleep(1);
            }
        }
        return new Seen(pre, all);
    }

    private static int[] parse(byte[] frame) {
        ByteBuffer b = ByteBuffer.wrap(frame, Ethernet.HEADER_BYTES, 12);
        return new int[] {b.getInt(), b.getInt(), b.getInt()};
    }
}
