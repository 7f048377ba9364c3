package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.testkit.FakeHost;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.host.driver.SnapshotMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's own cost: a 3-VM, 2-host cow snapshot against zero-latency fake hosts (so only the
 * coordinator, its thread hand-offs and its catalog writes are timed), and single catalog writes, SQLite
 * against the in-memory baseline in the same run.
 */
@Tag("benchmark")
class SnapshotCoordinatorBenchmark {

    private static final int WARMUP = 50;
    private static final int SNAPSHOTS = 200;
    private static final int WRITES = 400;
    private static final long HUGE = 1L << 60;

    @TempDir
    Path dir;

    @Test
    void coordinatorAndCatalogOverhead() throws Exception {
        BenchReport report = new BenchReport("am-snapshot-coordinator",
                "3-VM 2-host cow snapshot with zero-latency fake hosts, and catalog write latency, SQLite vs in-memory");
        Stats memSnap;
        Stats sqlSnap;
        try (SnapshotCatalog mem = new InMemorySnapshotCatalog();
                SnapshotCatalog sql = SqliteSnapshotCatalog.open(dir.resolve("bench-snap.db"))) {
            memSnap = snapshots(mem);
            sqlSnap = snapshots(sql);
        }
        report.add("snapshot start->COMPLETE, in-memory catalog", "ms", memSnap);
        report.add("snapshot start->COMPLETE, SQLite catalog", "ms", sqlSnap);

        Stats[] memW;
        Stats[] sqlW;
        try (SnapshotCatalog mem = new InMemorySnapshotCatalog();
                SnapshotCatalog sql = SqliteSnapshotCatalog.open(dir.resolve("bench-writes.db"))) {
            writes(mem, WARMUP);
            writes(sql, WARMUP);
            memW = writes(mem, WRITES);
            sqlW = writes(sql, WRITES);
        }
        report.add("catalog create (3 VMs), in-memory", "us", memW[0]);
        report.add("catalog create (3 VMs), SQLite WAL sync=FULL", "us", sqlW[0]);
        report.add("catalog state change, in-memory", "us", memW[1]);
        report.add("catalog state change, SQLite WAL sync=FULL", "us", sqlW[1]);
        report.add("catalog nextEpoch, in-memory", "us", memW[2]);
        report.add("catalog nextEpoch, SQLite WAL sync=FULL", "us", sqlW[2]);
        report.ratio("snapshot: SQLite / in-memory catalog", sqlSnap.median() / memSnap.median(), "ratio of medians");
        report.ratio("state change: SQLite / in-memory", sqlW[1].median() / memW[1].median(), "ratio of medians");
        report.publish(System.out);
        System.out.println("catalog file system: " + Files.getFileStore(dir));
    }

    /** Milliseconds from start() to the COMPLETE record, per snapshot. */
    private static Stats snapshots(SnapshotCatalog catalog) throws Exception {
        Clock clock = Clock.systemUTC();
        String slice = "urn:publicid:IDN+bench+slice+s";
        FakeHost h1 = new FakeHost("h1", clock, HUGE).addVm("vm1", slice, 1L << 30, 0).addVm("vm2", slice, 1L << 30, 0);
        FakeHost h2 = new FakeHost("h2", clock, HUGE).addVm("vm3", slice, 1L << 30, 0);
        ExecutorService pool = Executors.newCachedThreadPool();
        AtomicInteger ids = new AtomicInteger();
        Map<String, List<String>> vms = new LinkedHashMap<>();
        vms.put("h1", List.of("vm1", "vm2"));
        vms.put("h2", List.of("vm3"));
        SliceSnapshotRequest req = new SliceSnapshotRequest(slice, SnapshotMode.COW, false, "bench", vms);
        double[] ms = new double[SNAPSHOTS];
        try (SnapshotCoordinator c = new SnapshotCoordinator(clock, pool, HostDirectory.of(Map.of("h1", h1, "h2", h2)), catalog,
                () -> "b" + ids.incrementAndGet(), CoordinatorSettings.defaults())) {
            for (int i = -WARMUP; i < SNAPSHOTS; i++) {
                long t0 = System.nanoTime();
                SliceSnapshotRecord r = c.start(req).await(Duration.ofSeconds(30));
                long t1 = System.nanoTime();
                assertEquals(SliceSnapshotState.COMPLETE, r.state(), r.failure());
                if (i >= 0) {
                    ms[i] = (t1 - t0) / 1e6;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Stats(ms);
    }

    /** Microseconds per create, per state change and per epoch allocation. */
    private static Stats[] writes(SnapshotCatalog catalog, int n) throws Exception {
        double[] create = new double[n];
        double[] change = new double[n];
        double[] epoch = new double[n];
        String tag = Long.toString(System.nanoTime());
        List<VmEntry> vms = List.of(VmEntry.planned("vm1", "h1"), VmEntry.planned("vm2", "h1"), VmEntry.planned("vm3", "h2"));
        for (int i = 0; i < n; i++) {
            Instant now = Instant.now();
            long t0 = System.nanoTime();
            int e = catalog.nextEpoch("urn:bench", 0);
            long t1 = System.nanoTime();
            SliceSnapshotRecord r = catalog.create(SliceSnapshotRecord.preparing(tag + "-" + i, "urn:bench", "", e,
                    SnapshotMode.COW, false, now, vms));
            long t2 = System.nanoTime();
            catalog.update(r.withState(SliceSnapshotState.TAKING, now));
            long t3 = System.nanoTime();
            epoch[i] = (t1 - t0) / 1e3;
            create[i] = (t2 - t1) / 1e3;
            change[i] = (t3 - t2) / 1e3;
        }
        return new Stats[] {new Stats(create), new Stats(change), new Stats(epoch)};
    }
}
