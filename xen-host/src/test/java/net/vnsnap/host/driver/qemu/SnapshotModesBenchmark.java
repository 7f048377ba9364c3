package net.vnsnap.host.driver.qemu;

import net.vnsnap.host.config.HostConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.snapshot.VmSnapshotService;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downtime, total time, bytes written and restore time of cow, live and stop snapshots of one dirtying
 * guest (128 and 512 MiB, TCG, 1 vCPU, qcow2 disk with a record writer), modes interleaved per round.
 */
@Tag("benchmark")
class SnapshotModesBenchmark {
    private static final int ROUNDS = Integer.getInteger("vnsnap.bench.rounds", 5);
    /** 32 MiB of non-zero pages rewritten at 5000 pages/s (about 20 MB/s), as in the feasibility notes. */
    private static final String WORKLOAD = "memdirty 32 5000 200 cnt 1";

    @TempDir
    Path tmp;

    @Test
    void snapshotModes() throws Exception {
        TestGuest.assumeQemu();
        for (int mib : new int[] {128, 512}) {
            measure(mib);
        }
    }

    private void measure(int mib) throws Exception {
        Path dir = tmp.resolve("m" + mib);
        try (QemuDriver driver = new QemuDriver(QemuConfig.defaults(dir.resolve("run")))) {
            SnapshotStore store = SnapshotStore.open(dir.resolve("store"));
            VmSnapshotService service = new VmSnapshotService(driver, store);
            String name = "bench" + mib;
            // No NIC: a restored copy can then run beside the original without a port clash.
            VmSpec spec = new VmSpec(name, mib, 1, new BootSource.Kernel(TestGuest.kernel(), TestGuest.initrd(),
                    HostConfig.DEFAULT_CMDLINE + " vm.name=" + name + " vm.work=" + WORKLOAD.replace(' ', '+')
                            + " vm.work2=diskrec+/dev/vda+50"), List.of(), List.of())
                    .withDisk(QemuVms.qcow2Disk(driver, dir, "disk0", 8));
            ConsoleLog log = QemuVms.boot(driver, spec);
            log.await(Pattern.compile("^cnt 5 "), 0, Duration.ofSeconds(120));

            Map<SnapshotMode, List<double[]>> samples = new EnumMap<>(SnapshotMode.class);
            for (int round = 0; round < ROUNDS; round++) {
                for (SnapshotMode mode : SnapshotMode.values()) {
                    VmSnapshotService.Taken t = service.snapshot(name, SnapshotRequest.of(mode, dir.resolve("unused"), null));
                    VmSnapshotService.Restored r = service.restore(t.manifest().id(), name + "-r", Duration.ofMinutes(2));
                    driver.destroy(name + "-r");
                    store.delete(t.manifest().id());
                    samples.computeIfAbsent(mode, m -> new ArrayList<>()).add(new double[] {
                            t.result().downtime().toNanos() / 1e6, t.result().total().toNanos() / 1e6,
                            t.result().bytesWritten() / 1e6, r.result().loadTime().toNanos() / 1e6});
                    System.out.printf(Locale.ROOT, "%d MiB %s round %d: downtime %.1f ms, phases %s%n", mib, mode, round,
                            t.result().downtime().toNanos() / 1e6, t.result().phases());
                    Thread.sleep(300);
                }
            }
            BenchReport report = new BenchReport("qemu-snapshot-" + mib + "mib",
                    "one " + mib + " MiB TCG guest running '" + WORKLOAD + "' plus a disk record writer; " + ROUNDS
                            + " rounds, modes interleaved; downtime from QMP STOP/RESUME timestamps");
            Map<SnapshotMode, Double> medianDowntime = new EnumMap<>(SnapshotMode.class);
            for (SnapshotMode mode : SnapshotMode.values()) {
                List<double[]> s = samples.get(mode);
                String m = mode.name().toLowerCase(Locale.ROOT);
                Stats down = stats(s, 0);
                medianDowntime.put(mode, down.median());
                report.add(m + " downtime", "ms", down);
                report.add(m + " total time", "ms", stats(s, 1));
                report.add(m + " bytes written", "MB", stats(s, 2));
                report.add(m + " restore (QEMU start to loaded)", "ms", stats(s, 3));
            }
            for (SnapshotMode mode : List.of(SnapshotMode.COW, SnapshotMode.LIVE)) {
                report.ratio(mode.name().toLowerCase(Locale.ROOT) + " / stop downtime",
                        medianDowntime.get(mode) / medianDowntime.get(SnapshotMode.STOP), "median downtime against stop-and-copy, same run");
            }
            report.publish(System.out);
        }
    }

    private static Stats stats(List<double[]> rows, int col) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rows.get(i)[col];
        }
        return new Stats(v);
    }
}
