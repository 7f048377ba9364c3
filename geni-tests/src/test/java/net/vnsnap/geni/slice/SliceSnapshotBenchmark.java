package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.StateChange;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.SnapshotFigures;
import net.vnsnap.bench.Stats;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slice snapshot and restore of the three-VM, two-host slice through the coordinator, per mode and colour policy. */
@Tag("benchmark")
class SliceSnapshotBenchmark {

    /** Rounds per configuration: each costs a snapshot, a restore and several seconds of traffic on two shared cores. */
    private static final int ROUNDS = Integer.getInteger("vnsnap.bench.sliceRounds", 3);
    /** Faster than the suites' workload so that a pause shows in the throughput, yet light enough for TCG guests. */
    private static final ThreeVmSlice.Workload WORK = new ThreeVmSlice.Workload(50, 1000, 100);
    private static final Duration BASELINE = Duration.ofSeconds(2);

    @TempDir
    Path tmp;
    private TwoHostTestbed bed;
    private SqliteSnapshotCatalog catalog;

    @AfterEach
    void tearDown() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    /** The samples of one configuration (mode and policy), one entry per round or per VM and round. */
    private static final class Samples {
        final List<Double> downtime = new ArrayList<>();
        final List<Double> maxDowntime = new ArrayList<>();
        final List<Double> skew = new ArrayList<>();
        final List<Double> total = new ArrayList<>();
        final List<Double> held = new ArrayList<>();
        final List<Double> recorded = new ArrayList<>();
        final List<Double> dropped = new ArrayList<>();
        final List<Double> restore = new ArrayList<>();
        /** Latest minus earliest resume instant the hosts measured over the three VMs. */
        final List<Double> resumeSkew = new ArrayList<>();
        final List<Double> tcpFraction = new ArrayList<>();
        final List<Double> udpFraction = new ArrayList<>();
        /** Each VM's downtime per round, by VM name, for the report's per-VM downtime chart. */
        final Map<String, List<Double>> downtimeByVm = new java.util.TreeMap<>();
        /** The last round's snapshot: its record, the hosts' cuts with step timings, the planned cut, the state history. */
        SliceSnapshotRecord lastRecord;
        Map<String, List<VmCut>> lastHostCuts = Map.of();
        Instant lastPlannedCut;
        List<StateChange> lastHistory = List.of();
    }

    @Test
    void snapshotAndRestoreTheSlicePerModeAndPolicy() throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of());
        catalog = SqliteSnapshotCatalog.open(tmp.resolve("catalog.db"));
        SnapshotCoordinator c = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        Map<String, Samples> results = new LinkedHashMap<>();

        ThreeVmSlice slice = ThreeVmSlice.create(bed, "bench-hold", 410, ColourPolicy.HOLD_AND_RECORD, WORK);
        for (SnapshotMode mode : List.of(SnapshotMode.COW, SnapshotMode.LIVE, SnapshotMode.STOP)) {
            Samples s = new Samples();
            for (int i = 0; i < ROUNDS; i++) {
                round(slice, c, catalog, mode, s);
            }
            results.put(mode.name().toLowerCase() + " hold_and_record", s);
        }
        slice.destroyAll();

        ThreeVmSlice dropSlice = ThreeVmSlice.create(bed, "bench-drop", 411, ColourPolicy.DROP, WORK);
        Samples d = new Samples();
        for (int i = 0; i < ROUNDS; i++) {
            round(dropSlice, c, catalog, SnapshotMode.COW, d);
        }
        results.put("cow drop", d);
        dropSlice.destroyAll();

        BenchReport report = new BenchReport("slice-snapshot",
                "3 VMs (128 MiB, TCG) on 2 hostd processes, UDP 50/s both ways + TCP 1000 rec/s across hosts; " + ROUNDS
                        + " rounds per configuration");
        results.forEach((k, s) -> {
            report.add(k + ": VM downtime (every VM)", "ms", stats(s.downtime));
            report.add(k + ": slowest VM's downtime", "ms", stats(s.maxDowntime));
            report.add(k + ": cut skew", "ms", stats(s.skew));
            report.add(k + ": start to COMPLETE", "ms", stats(s.total));
            report.add(k + ": frames held", "frames", stats(s.held));
            report.add(k + ": frames recorded", "frames", stats(s.recorded));
            report.add(k + ": frames dropped", "frames", stats(s.dropped));
            report.add(k + ": restore (verify, load, resume)", "ms", stats(s.restore));
            report.add(k + ": resume skew (measured)", "ms", stats(s.resumeSkew));
            report.add(k + ": TCP throughput during / before", "ratio", stats(s.tcpFraction));
            report.add(k + ": UDP throughput during / before", "ratio", stats(s.udpFraction));
        });
        figures(results).attachTo(report);
        report.publish(System.out);
    }

    /** Per configuration: each VM's downtime and the throughput fractions, and the timeline of its last snapshot. */
    private static SnapshotFigures figures(Map<String, Samples> results) {
        SnapshotFigures f = new SnapshotFigures();
        results.forEach((k, s) -> {
            String[] modePolicy = k.split(" ", 2);
            SnapshotFigures.Config cfg = f.config(k, modePolicy[0], modePolicy[1], modePolicy[0].equals("stop"));
            s.downtimeByVm.forEach((vm, l) -> cfg.downtime(vm, stats(l)));
            cfg.throughput("TCP", stats(s.tcpFraction)).throughput("UDP", stats(s.udpFraction));
        });
        results.forEach((k, s) -> {
            SliceSnapshotRecord rec = s.lastRecord;
            if (rec == null) {
                return;
            }
            SnapshotFigures.Timeline t = f.timeline(k, rec.mode().name().toLowerCase(), rec.createdAt()).commonCut(s.lastPlannedCut);
            List<StateChange> h = s.lastHistory;
            for (int i = 0; i + 1 < h.size(); i++) {
                String step = switch (h.get(i).state()) {
                    case PREPARING -> "prepare";
                    case TAKING -> "take";
                    case COMMITTING -> "commit";
                    default -> null;
                };
                if (step != null) {
                    t.slicePhase(step, h.get(i).at(), h.get(i + 1).at());
                }
            }
            for (VmEntry v : rec.vms()) {
                VmCut cut = s.lastHostCuts.getOrDefault(v.host(), List.of()).stream().filter(x -> x.vm().equals(v.vm())).findFirst()
                        .orElse(null);
                t.vm(v.vm(), v.host(), v.cutAt(), v.downtime(), cut == null ? null : cut.startedAt(),
                        cut == null ? Map.of() : cut.phases());
            }
        });
        return f;
    }

    private static Stats stats(List<Double> l) {
        return new Stats(l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The highest counter {@code p} has logged on a console so far. */
    private static long counter(GuestConsole g, Pattern p) throws Exception {
        return g.last(p, 0).map(m -> Long.parseLong(m.group(1))).orElse(0L);
    }

    /** One round: baseline throughput, snapshot, throughput while it ran, destroy, restore, wait for the traffic. */
    private static void round(ThreeVmSlice slice, SnapshotCoordinator c, SqliteSnapshotCatalog catalog, SnapshotMode mode, Samples s)
            throws Exception {
        GuestConsole rx = slice.console("vm3");
        long tcp0 = counter(rx, ThreeVmSlice.TCP_RX);
        long udp0 = counter(rx, ThreeVmSlice.UDP_RX);
        long t0 = System.nanoTime();
        Thread.sleep(BASELINE.toMillis());
        long tcp1 = counter(rx, ThreeVmSlice.TCP_RX);
        long udp1 = counter(rx, ThreeVmSlice.UDP_RX);
        long t1 = System.nanoTime();

        SnapshotHandle h = c.start(new SliceSnapshotRequest(slice.slice, mode, false, "bench", ThreeVmSlice.PLACEMENT));
        SliceSnapshotRecord rec = h.await(Duration.ofMinutes(3));
        long t2 = System.nanoTime();
        assertEquals(SliceSnapshotState.COMPLETE, rec.state(), () -> String.valueOf(h.failure()));
        long tcp2 = counter(rx, ThreeVmSlice.TCP_RX);
        long udp2 = counter(rx, ThreeVmSlice.UDP_RX);

        double before = (t1 - t0) / 1e9;
        double during = (t2 - t1) / 1e9;
        s.tcpFraction.add(((tcp2 - tcp1) / during) / ((tcp1 - tcp0) / before));
        s.udpFraction.add(((udp2 - udp1) / during) / ((udp1 - udp0) / before));
        double max = 0;
        for (VmEntry v : rec.vms()) {
            double ms = v.downtime().toNanos() / 1e6;
            s.downtime.add(ms);
            s.downtimeByVm.computeIfAbsent(v.vm(), x -> new ArrayList<>()).add(ms);
            max = Math.max(max, ms);
        }
        s.lastRecord = rec;
        s.lastHostCuts = h.hostCuts();
        s.lastPlannedCut = h.plannedCut().orElse(null);
        s.lastHistory = catalog.history(rec.id());
        s.maxDowntime.add(max);
        s.skew.add(rec.cutSkew().toNanos() / 1e6);
        s.total.add((t2 - t1) / 1e6);
        s.held.add((double) rec.framesHeld());
        s.recorded.add((double) rec.framesRecorded());
        s.dropped.add((double) rec.framesDropped());

        Thread.sleep(1000);
        slice.destroyAll();
        RestoreReport r = c.restore(rec.id());
        slice.adopt(r);
        s.restore.add(r.duration().toNanos() / 1e6);
        // Every hostd measures its VMs' resume instants, so the skew is known; a null would fail the round loudly.
        s.resumeSkew.add(r.resumeSkew().toNanos() / 1e6);
        slice.awaitTraffic(0, Duration.ofSeconds(120));
        // Keep the catalog and the hosts' stores small: this round's snapshot is not needed any more.
        c.delete(rec.id());
        System.out.printf("%s %s: take %.0f ms, skew %.1f ms, max downtime %.1f ms, held %d rec %d drop %d, restore %.0f ms, "
                + "resume skew %.2f ms, tcp %.2f udp %.2f%n", mode, slice.slice, (t2 - t1) / 1e6, rec.cutSkew().toNanos() / 1e6, max,
                rec.framesHeld(), rec.framesRecorded(), rec.framesDropped(), r.duration().toNanos() / 1e6, r.resumeSkew().toNanos() / 1e6,
                s.tcpFraction.get(s.tcpFraction.size() - 1), s.udpFraction.get(s.udpFraction.size() - 1));
    }
}
