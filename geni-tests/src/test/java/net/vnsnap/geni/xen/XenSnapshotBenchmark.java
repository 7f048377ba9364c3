package net.vnsnap.geni.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import java.util.regex.Pattern;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.Dom0Console;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.NestedXenHost;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.rpc.RemoteHostAgent;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Snapshot modes of one PVH domU on a real (nested) Xen host, in one run: downtime and total time of live (pre-copy
 * while the domain runs, like VNsnap) against the stop baseline (like {@code xl save -c}), through hostd's snapshot
 * calls, while the guest dirties 8 MiB of its memory at 200 pages a second.
 */
@Tag("benchmark")
class XenSnapshotBenchmark {
    static final int ROUNDS = 3;
    static final Pattern USERSPACE_UP = Pattern.compile("USERSPACE-UP name=xa");

    @Test
    void downtimeAndTotalPerMode() throws Exception {
        assumeTrue(NestedXenHost.testsEnabled(), NestedXenHost.switchHint());
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed (bin/lib/install-qemu.sh)");
        Path dir = Path.of("target", "xen-bench").toAbsolutePath();
        XenSliceTest.deleteTree(dir);
        try (NestedXenHost host = XenSliceTest.boot(dir, XenSliceTest.federation(dir), "xen1")) {
            RemoteHostAgent agent = host.agent(Duration.ofMinutes(5), Duration.ofMinutes(10));
            HostInfo info = agent.info();
            agent.createSegment(new SegmentSpec(XenSliceTest.SLICE, "lan0", 601, ColourPolicy.HOLD_AND_RECORD));
            GuestConsole console = Dom0Console.fromNow(host, "xa");
            agent.createVm(new VmRequest("xa", XenSliceTest.SLICE, 128, 1, "guest",
                    List.of(new VmRequest.NicRequest("net0", "00:16:3e:00:09:01", "lan0", "10.0.9.1/24")),
                    Map.of("work", "memdirty 8 200 1000 bench 1")));
            console.await(USERSPACE_UP, 0, 0, XenSliceTest.SLOW);
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
            BenchReport r = new BenchReport("XenSnapshotBenchmark", "one 128 MiB PVH domU dirtying 8 MiB at 200 pages/s, on nested Xen "
                    + info.hypervisorVersion() + " (TCG); modes offered: " + info.modes());
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
                r.ratio("live/stop total", new Stats(live.stream().mapToDouble(c -> c.total().toNanos() / 1e6).toArray()).median()
                        / stopTotal, "median live total time over median stop total time (pre-copy costs time, saves downtime)");
            } else {
                r.ratio("stop downtime/total", stopDown / stopTotal, "live is not offered on this host ("
                        + info.modes() + "), so only the stop baseline's pause share of its total is shown");
            }
            r.publish(System.out);
        }
    }
}
