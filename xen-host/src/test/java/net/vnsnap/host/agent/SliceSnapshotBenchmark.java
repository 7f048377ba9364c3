package net.vnsnap.host.agent;

import net.vnsnap.host.config.HostConfig;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.qemu.QemuConfig;
import net.vnsnap.host.driver.qemu.QemuDriver;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One host's part of a slice snapshot through LocalHostAgent with two 128 MiB TCG guests pinging each other:
 * prepare, take at a cut instant, commit, destroy, restore, resume at an instant; several rounds.
 */
@Tag("benchmark")
class SliceSnapshotBenchmark {
    private static final int ROUNDS = 5;
    private static final String SLICE = "urn:publicid:IDN+vnsnap:bench+slice+b";

    @Test
    void sliceSnapshotAndRestoreOnOneHost() throws Exception {
        TestGuest.assumeQemu();
        Path guest = TestGuest.dir();
        Path tmp = Files.createTempDirectory("hostd-bench");
        ExecutorService workers = Executors.newCachedThreadPool();
        int base = 49000 + (int) (ProcessHandle.current().pid() % 200) * 10;
        try (QemuDriver driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
                VirtualSwitch sw = VirtualSwitch.start("bench", SwitchConfig.defaults().withTunnelBind(new InetSocketAddress("127.0.0.1", 0)))) {
            AgentSettings s = new AgentSettings("bench", "127.0.0.1:" + sw.tunnelAddress().getPort(),
                    Map.of("guest", new ImageSpec("guest", guest.resolve("vmlinux"), guest.resolve("initramfs.cpio.gz"),
                            HostConfig.DEFAULT_CMDLINE, null)), 4, "127.0.0.1", base, base + 9, tmp.resolve("disks"), null,
                    Duration.ofMillis(200), Duration.ofMinutes(3), Duration.ofMinutes(2));
            LocalHostAgent agent = LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), Timing.system(), workers, null);
            agent.createSegment(new SegmentSpec(SLICE, "lan0", 5, ColourPolicy.HOLD_AND_RECORD));
            List<ConsoleLog> logs = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                VmInfo v = agent.createVm(new VmRequest("b" + i, SLICE, 128, 1, "guest",
                        List.of(new VmRequest.NicRequest("net0", "52:54:00:00:30:0" + i, "lan0", "10.0.7." + i + "/24")),
                        Map.of("work", "memdirty 16 2000 500 cnt", "work2", "ping -i 0.2 10.0.7." + (3 - i))));
                logs.add(new ConsoleLog(Path.of(v.consoleLog())));
            }
            for (ConsoleLog l : logs) {
                l.await(Pattern.compile("bytes from"), 0, Duration.ofSeconds(150));
            }
            List<double[]> rows = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                int epoch = 2 * round + 1;
                String id = "bench-" + round;
                long t0 = System.nanoTime();
                assertTrue(agent.prepareSnapshot(new SnapshotPlan(id, SLICE, epoch, SnapshotMode.COW, false, List.of("b1", "b2"))).ready());
                long t1 = System.nanoTime();
                Instant cutAt = Instant.now().plusMillis(300);
                List<VmCut> cuts = agent.takeSnapshot(id, cutAt);
                long t2 = System.nanoTime();
                HostSnapshot h = agent.commitSnapshot(id);
                long t3 = System.nanoTime();
                agent.destroyVm("b1");
                agent.destroyVm("b2");
                long t4 = System.nanoTime();
                agent.restoreSnapshot(id, epoch + 1);
                long t5 = System.nanoTime();
                Instant resumeAt = Instant.now().plusMillis(200);
                agent.resumeRestored(id, resumeAt);
                double resumeLate = Duration.between(resumeAt, Instant.now()).toNanos() / 1e6;
                double maxDown = cuts.stream().mapToDouble(c -> c.downtime().toNanos() / 1e6).max().orElse(0);
                Instant first = cuts.stream().map(VmCut::cutAt).min(Instant::compareTo).orElseThrow();
                Instant last = cuts.stream().map(VmCut::cutAt).max(Instant::compareTo).orElseThrow();
                rows.add(new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, maxDown, Duration.between(first, last).toNanos() / 1e6,
                        Duration.between(cutAt, first).toNanos() / 1e6, (t3 - t2) / 1e6, (t5 - t4) / 1e6, resumeLate,
                        h.framesRecorded(), h.bytes() / 1e6});
                System.out.printf(java.util.Locale.ROOT, "round %d: take %.0f ms, downtime %.1f ms, skew %.1f ms, commit %.0f ms, restore %.0f ms%n",
                        round, (t2 - t1) / 1e6, maxDown, Duration.between(first, last).toNanos() / 1e6, (t3 - t2) / 1e6, (t5 - t4) / 1e6);
                agent.deleteSnapshot(id);
                Thread.sleep(1000);
            }
            BenchReport r = new BenchReport("hostd-slice-snapshot", "LocalHostAgent, two 128 MiB TCG guests (memdirty 16 MiB at 2000 "
                    + "pages/s, ping every 0.2 s) on one switch; cow; " + ROUNDS + " rounds of prepare, take at a cut instant 300 ms "
                    + "ahead, commit (200 ms grace), destroy, restore, resume at an instant");
            String[] names = {"prepare", "take (call, includes waiting for the cut instant)", "max VM downtime", "cut skew between the VMs",
                "first cut after the cut instant", "commit (grace, channel state, manifest)", "restore (verify + load both, paused)",
                "resume after the resume instant", "frames recorded as channel state", "snapshot size"};
            String[] units = {"ms", "ms", "ms", "ms", "ms", "ms", "ms", "ms", "frames", "MB"};
            for (int c = 0; c < names.length; c++) {
                double[] v = new double[rows.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = rows.get(i)[c];
                }
                r.add(names[c], units[c], new Stats(v));
            }
            r.publish(System.out);
            agent.destroyAll();
        } finally {
            workers.shutdownNow();
            LocalHostAgent.deleteTree(tmp);
        }
    }
}
