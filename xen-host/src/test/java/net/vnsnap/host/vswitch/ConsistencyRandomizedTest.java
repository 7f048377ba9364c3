package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** Three VMs (on one host or two) exchange numbered frames and cut at random moments; checks orphans, loss, replay. */
class ConsistencyRandomizedTest {
    // One thread drives everything. Before a VM's cut the driver waits until the switch has handled every
    // datagram sent so far, so "delivered before the cut" means "already read by the VM", as for a running guest.
    static final int VMS = 3;
    static final int STEPS = 600;
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice-r", "lan");

    /** One frame as the checker sees it: who sent it, its per-sender sequence number, the sender's colour. */
    record Msg(int from, int to, int seq, int colour) {
        static Msg parse(byte[] frame, int to) {
            ByteBuffer b = ByteBuffer.wrap(frame, Ethernet.HEADER_BYTES, frame.length - Ethernet.HEADER_BYTES);
            return new Msg(b.getInt(), to, b.getInt(), b.getInt());
        }
    }

    /** What one run produced, for the checker. */
    static final class Run {
        final List<List<Msg>> sent = new ArrayList<>();
        final List<List<Msg>> preCut = new ArrayList<>();
        final List<List<Msg>> live = new ArrayList<>();
        final List<List<Msg>> replayed = new ArrayList<>();

        Run() {
            for (int i = 0; i < VMS; i++) {
                sent.add(new ArrayList<>());
                preCut.add(new ArrayList<>());
                live.add(new ArrayList<>());
                replayed.add(new ArrayList<>());
            }
        }
    }

    /** One switch, or two joined by a tunnel with the last VM on the second ("host2"). */
    static final class Fabric implements AutoCloseable {
        final List<VirtualSwitch> switches = new ArrayList<>();
        final boolean twoHosts;

        Fabric(boolean twoHosts, ColourPolicy policy) throws IOException {
            this.twoHosts = twoHosts;
            SwitchConfig cfg = twoHosts ? SwitchConfig.defaults().withTunnelBind(ANY) : SwitchConfig.defaults();
            switches.add(VirtualSwitch.start("host1", cfg));
            if (twoHosts) {
                switches.add(VirtualSwitch.start("host2", cfg));
            }
            for (VirtualSwitch sw : switches) {
                sw.createSegment(SEG, 3, policy);
            }
            if (twoHosts) {
                switches.get(0).addTunnelPeer(new PortId(SEG, "to-host2"), switches.get(1).tunnelAddress());
                switches.get(1).addTunnelPeer(new PortId(SEG, "to-host1"), switches.get(0).tunnelAddress());
            }
        }

        VirtualSwitch of(int vm) {
            return twoHosts && vm == VMS - 1 ? switches.get(1) : switches.get(0);
        }

        /** Waits until every datagram sent by the VMs, and every tunnel datagram, has been handled. */
        void settle(long sentByVms) {
            Await.until(() -> {
                long vmIn = 0;
                for (VirtualSwitch sw : switches) {
                    vmIn += sw.counters().ports().stream().filter(c -> !c.tunnel()).mapToLong(PortCounters::framesIn).sum();
                }
                if (vmIn != sentByVms) {
                    return false;
                }
                if (!twoHosts) {
                    return true;
                }
                // Read every tunnel's output before any input: outputs are final once all VM input is handled.
                long out1 = switches.get(0).counters(new PortId(SEG, "to-host2")).framesOut();
                long out2 = switches.get(1).counters(new PortId(SEG, "to-host1")).framesOut();
                return switches.get(1).counters(new PortId(SEG, "to-host1")).framesIn() == out1
                        && switches.get(0).counters(new PortId(SEG, "to-host2")).framesIn() == out2;
            }, () -> sentByVms + " frames handled by the fabric");
        }

        @Override
        public void close() {
            switches.forEach(VirtualSwitch::close);
        }
    }

    static Run simulate(long seed, ColourPolicy policy) throws IOException {
        return simulate(seed, policy, false);
    }

    static Run simulate(long seed, ColourPolicy policy, boolean twoHosts) throws IOException {
        Random rnd = new Random(seed);
        Run run = new Run();
        List<TestVm> vms = new ArrayList<>();
        List<PortId> ports = new ArrayList<>();
        try (Fabric fabric = new Fabric(twoHosts, policy)) {
            for (int i = 0; i < VMS; i++) {
                TestVm vm = new TestVm(0x5254_0000_0100L + i);
                vms.add(vm);
                PortId p = new PortId(SEG, "vm" + i);
                ports.add(p);
                vm.switchPort = fabric.of(i).addPort(p, ANY, vm.address());
            }
            long sentTotal = 0;
            for (TestVm vm : vms) {
                vm.send(Ethernet.BROADCAST, "hello");
                sentTotal++;
            }
            fabric.settle(sentTotal);
            for (TestVm vm : vms) {
                vm.drain();
            }
            int[] cutAt = new int[VMS];
            boolean[] cut = new boolean[VMS];
            int[] nextSeq = new int[VMS];
            for (int i = 0; i < VMS; i++) {
                cutAt[i] = 50 + rnd.nextInt(STEPS - 100);
            }
            for (int step = 0; step < STEPS; step++) {
                for (int i = 0; i < VMS; i++) {
                    if (cutAt[i] == step) {
                        // The VM pauses: everything the switch handed it so far is in its saved state.
                        fabric.settle(sentTotal);
                        collect(vms.get(i), i, run.preCut.get(i), run.live.get(i));
                        fabric.of(i).advanceEpoch(ports.get(i), 1);
                        cut[i] = true;
                    }
                }
                int action = rnd.nextInt(10);
                if (action < 7) {
                    int from = rnd.nextInt(VMS);
                    int to = (from + 1 + rnd.nextInt(VMS - 1)) % VMS;
                    Msg m = new Msg(from, to, nextSeq[from]++, cut[from] ? 1 : 0);
                    vms.get(from).send(frame(vms.get(from).mac, vms.get(to).mac, m));
                    run.sent.get(to).add(m);
                    sentTotal++;
                } else {
                    int who = rnd.nextInt(VMS);
                    fabric.settle(sentTotal);
                    collect(vms.get(who), who, cut[who] ? null : run.preCut.get(who), run.live.get(who));
                }
            }
            // Everything delivered late (released held frames, stragglers) ends the live run.
            fabric.settle(sentTotal);
            for (int i = 0; i < VMS; i++) {
                final int vm = i;
                VirtualSwitch sw = fabric.of(i);
                Await.until(() -> sw.counters(ports.get(vm)).heldNow() == 0 || policy != ColourPolicy.HOLD_AND_RECORD,
                        () -> "held frames of vm" + vm);
                collect(vms.get(i), i, null, run.live.get(i));
            }
            // Restore: each VM comes back on a new socket; the switch replays its recorded channel state first.
            for (int i = 0; i < VMS; i++) {
                VirtualSwitch sw = fabric.of(i);
                List<byte[]> state = sw.drainRecorded(ports.get(i), 1).stream().map(RecordedFrame::frame).toList();
                TestVm restored = new TestVm(vms.get(i).mac);
                vms.add(restored);
                sw.prepareRestore(ports.get(i), 1, state);
                sw.setPeer(ports.get(i), restored.address());
                sw.resume(ports.get(i));
                for (int k = 0; k < state.size(); k++) {
                    byte[] f = restored.receive(Duration.ofSeconds(5));
                    assertTrue(f != null, "replayed frame " + k + " of " + state.size());
                    run.replayed.get(i).add(Msg.parse(f, i));
                }
            }
        } finally {
            for (TestVm vm : vms) {
                vm.close();
            }
        }
        return run;
    }

    private static void collect(TestVm vm, int me, List<Msg> preCut, List<Msg> live) throws IOException {
        for (byte[] f : vm.drain()) {
            Msg m = Msg.parse(f, me);
            live.add(m);
            if (preCut != null) {
                preCut.add(m);
            }
        }
    }

    private static byte[] frame(long src, long dst, Msg m) {
        ByteBuffer p = ByteBuffer.allocate(12).putInt(m.from).putInt(m.seq).putInt(m.colour);
        return TestVm.build(dst, src, p.array());
    }

    /** Frames a receiver holds in its saved state although their sender's saved state never sent them. */
    static List<Msg> orphans(Run run) {
        List<Msg> out = new ArrayList<>();
        for (List<Msg> pre : run.preCut) {
            pre.stream().filter(m -> m.colour == 1).forEach(out::add);
        }
        return out;
    }

    /** Differences between what each VM received in the live run and what was sent to it, in order per sender. */
    static List<String> liveRunProblems(Run run) {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < VMS; r++) {
            for (int s = 0; s < VMS; s++) {
                final int from = s;
                List<Integer> sent = run.sent.get(r).stream().filter(m -> m.from == from).map(Msg::seq).toList();
                List<Integer> got = run.live.get(r).stream().filter(m -> m.from == from).map(Msg::seq).toList();
                if (!sent.equals(got)) {
                    out.add("vm" + s + "->vm" + r + " sent " + sent + " received " + got);
                }
            }
        }
        return out;
    }

    /** Whether saved receive state plus replayed channel state equals the pre-cut frames sent, exactly once each. */
    static List<String> snapshotProblems(Run run) {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < VMS; r++) {
            List<Msg> restored = new ArrayList<>(run.preCut.get(r));
            restored.addAll(run.replayed.get(r));
            Set<Msg> unique = new HashSet<>(restored);
            if (unique.size() != restored.size()) {
                out.add("vm" + r + " has duplicates in " + restored);
            }
            Set<Msg> expected = new HashSet<>();
            run.sent.get(r).stream().filter(m -> m.colour == 0).forEach(expected::add);
            if (!expected.equals(unique)) {
                Set<Msg> missing = new HashSet<>(expected);
                missing.removeAll(unique);
                Set<Msg> extra = new HashSet<>(unique);
                extra.removeAll(expected);
                out.add("vm" + r + " missing " + missing + " extra " + extra);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void holdAndRecordGivesAConsistentCutAndALosslessRestore(long seed) throws IOException {
        Run run = simulate(seed, ColourPolicy.HOLD_AND_RECORD);
        assertEquals(List.of(), orphans(run), "orphans");
        assertEquals(List.of(), liveRunProblems(run), "live run");
        assertEquals(List.of(), snapshotProblems(run), "snapshot + replay");
        assertTrue(run.replayed.stream().mapToInt(List::size).sum() > 0, "the schedule should cross cuts");
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void holdAndRecordStayConsistentAcrossATunnel(long seed) throws IOException {
        Run run = simulate(seed, ColourPolicy.HOLD_AND_RECORD, true);
        assertEquals(List.of(), orphans(run), "orphans");
        assertEquals(List.of(), liveRunProblems(run), "live run");
        assertEquals(List.of(), snapshotProblems(run), "snapshot + replay");
    }

    @Test
    void withoutColouringTheTunnelledRunHasOrphansToo() throws IOException {
        Run run = simulate(11, ColourPolicy.NONE, true);
        assertFalse(orphans(run).isEmpty(), "negative control across the tunnel");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void withoutColouringTheCheckerFindsOrphans(long seed) throws IOException {
        Run run = simulate(seed, ColourPolicy.NONE);
        assertFalse(orphans(run).isEmpty(), "negative control: colouring off must produce orphans");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void vnsnapDropPolicyIsConsistentButLosesFrames(long seed) throws IOException {
        Run run = simulate(seed, ColourPolicy.DROP);
        assertEquals(List.of(), orphans(run), "DROP still prevents orphans");
        assertFalse(liveRunProblems(run).isEmpty(), "post-cut frames to pre-cut receivers are lost");
        assertFalse(snapshotProblems(run).isEmpty(), "in-flight frames are not in the snapshot");
    }
}
