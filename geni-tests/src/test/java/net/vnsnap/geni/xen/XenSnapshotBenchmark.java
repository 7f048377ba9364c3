package net.vnsnap.geni.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.NestedXenHost;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.rpc.RemoteHostAgent;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Snapshot modes of one domU on a real (nested) Xen host, in one run: downtime and total time of each mode the host
 * offers, through hostd's snapshot calls. The baseline is stop (like {@code xl save -c}); live is measured where
 * Xen offers it (PV needs shadow paging, which Debian's 4.17.7 lacks; PVH does not boot on this nested host).
 */
@Tag("benchmark")
class XenSnapshotBenchmark {
    static final int ROUNDS = 3;

    @Test
    void downtimeAndTotalPerMode() throws Exception {
        assumeTrue(NestedXenHost.testsEnabled(), NestedXenHost.switchHint());
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed (bin/lib/install-qemu.sh)");
        try (NestedXenHost host = XenSliceTest.boot("xen-bench", "xen1")) {
            RemoteHostAgent agent = host.agent(Duration.ofMinutes(5), Duration.ofMinutes(10));
            HostInfo info = agent.info();
            agent.createSegment(new SegmentSpec(XenSliceTest.SLICE, "lan0", 601, ColourPolicy.HOLD_AND_RECORD));
            agent.createVm(XenSliceTest.domU("xa", 1, 2));
            XenDomUs.awaitCounters(host, "xa", 0, 3, XenSliceTest.SLOW);
            Map<SnapshotMode, List<VmCut>> cuts = new EnumMap<>(SnapshotMode.class);
            int epoch = 0;
            for (SnapshotMode mode : List.of(SnapshotMode.STOP, SnapshotMode.LIVE)) {
                if (!info.modes().contains(mode)) {
                    continue;
                }
                for (int i = 0; i < ROUNDS; i++) {
                    String id = "bench-" + mode.name().toLowerCase() + "-" + i;
                    agent.prepareSnapshot(new SnapshotPlan(id, XenSliceTest.SLICE, ++epoch, mode, false, List.of("xa")));
                    List<VmCut> c = agent.takeSnapshot(id, null);
                    agent.commitSnapshot(id);
                    agent.deleteSnapshot(id);
                    assertEquals(1, c.size());
                    cuts.computeIfAbsent(mode, m -> new ArrayList<>()).add(c.get(0));
                }
            }
            BenchReport r = new BenchReport("XenSnapshotBenchmark", "one 128 MiB PV domU on nested Xen " + info.hypervisorVersion()
                    + " (TCG); modes offered: " + info.modes());
            for (Map.Entry<SnapshotMode, List<VmCut>> e : cuts.entrySet()) {
                String m = e.getKey().name().toLowerCase();
                r.add(m + " downtime", "ms", new Stats(e.getValue().stream().mapToDouble(c -> c.downtime().toNanos() / 1e6).toArray()));
                r.add(m + " total", "ms", new Stats(e.getValue().stream().mapToDouble(c -> c.total().toNanos() / 1e6).toArray()));
            }
            List<VmCut> stop = cuts.get(SnapshotMode.STOP);
            List<VmCut> live = cuts.get(SnapshotMode.LIVE);
            double stopDown = new Stats(stop.stream().mapToDouble(c -> c.downtime().toNanos() / 1e6).toArray()).median();
            double stopTotal = new Stats(stop.stream().mapToDouble(c -> c.total().toNanos() / 1e6).toArray()).median();
            if (live != null) {
                r.ratio("live/stop downtime", new Stats(live.stream().mapToDouble(c -> c.downtime().toNanos() / 1e6).toArray()).median()
                        / stopDown, "median live downtime over median stop downtime");
            } else {
                r.ratio("stop downtime/total", stopDown / stopTotal, "live is not offered on this host ("
                        + info.modes() + "), so only the stop baseline's pause share of its total is shown");
            }
            r.publish(System.out);
        }
    }
}
