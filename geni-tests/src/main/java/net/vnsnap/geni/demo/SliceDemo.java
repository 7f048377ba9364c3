package net.vnsnap.geni.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import net.vnsnap.geni.testbed.AmClient;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.LocalTestbed;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.VmSnapshot;

/**
 * The slice demo ({@code bin/vnsnap demo}): starts a local aggregate (federation, two host agents with QEMU guests, the
 * AM) and then acts only as an experimenter through the AM API v3 over TLS: allocates a three-VM slice from the
 * snapshot-enabled example RSpec, starts it and a distributed workload, takes a live slice snapshot, lets the slice run
 * on, restores the snapshot, shows the workload resuming from the cut, deletes the slice and reports (docs/demo.md).
 */
public final class SliceDemo {

    /** Example files (docs/examples) the demo uses, so the guides show what really runs. */
    public static final String EXAMPLE_REQUEST = "docs/examples/snapshot-request.xml";
    public static final String EXAMPLE_SNAPSHOT_OPTIONS = "docs/examples/snapshot-options.json";
    /** The AM and node URNs the example request is written for; the demo puts in its own AM's. */
    public static final String EXAMPLE_AUTHORITY = "am.example.org";

    static final int STEPS = 10;
    static final String SLICE = "demo";
    private static final Duration BOOT = Duration.ofMinutes(5);
    private static final Duration TRAFFIC = Duration.ofMinutes(3);
    private static final Duration LONG_ACTION = Duration.ofMinutes(10);

    /**
     * How to run.
     *
     * @param work     where the testbed, logs and guest console copies go (removed at the end unless {@code keep})
     * @param json     where the JSON report goes, or null
     * @param runOn    how long the slice runs on between the snapshot and the restore
     * @param keep     keep {@code work} (and so every log) after the demo
     * @param mode     the snapshot mode, or null for the example options' ({@code live})
     */
    public record Options(Path work, Path json, Duration runOn, boolean keep, String mode) {
        public Options(Path work, Path json, Duration runOn, boolean keep) {
            this(work, json, runOn, keep, null);
        }
    }

    private SliceDemo() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("slice demo: " + e.getMessage());
            System.err.println("usage: SliceDemo --work DIR [--json FILE] [--run-on SECONDS] [--mode live|cow|stop] [--keep]");
            System.exit(2);
            return;
        }
        DemoReport r = run(o, System.out);
        System.exit(r.passed() ? 0 : 1);
    }

    static Options parse(String[] args) {
        Path work = null;
        Path json = null;
        Duration runOn = Duration.ofSeconds(10);
        boolean keep = false;
        String mode = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(value(args, ++i, "--work"));
                case "--json" -> json = Path.of(value(args, ++i, "--json"));
                case "--keep" -> keep = true;
                case "--mode" -> {
                    mode = value(args, ++i, "--mode");
                    if (!List.of("live", "cow", "stop").contains(mode)) {
                        throw new IllegalArgumentException("--mode must be live, cow or stop, not '" + mode + "'");
                    }
                }
                case "--run-on" -> {
                    String v = value(args, ++i, "--run-on");
                    try {
                        runOn = Duration.ofSeconds(Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--run-on needs whole seconds, not '" + v + "'");
                    }
                    if (runOn.isNegative()) {
                        throw new IllegalArgumentException("--run-on cannot be negative");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (work == null) {
            throw new IllegalArgumentException("--work DIR is required");
        }
        return new Options(work.toAbsolutePath(), json, runOn, keep, mode);
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return args[i];
    }

    /** Runs the demo, prints progress and the report on {@code out}, writes the JSON report if asked, and cleans up. */
    public static DemoReport run(Options o, PrintStream out) {
        SliceDemo.Run run = new Run(o, out);
        Thread hook = new Thread(run::cleanUp, "slice-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            run.all();
        } finally {
            run.cleanUp();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is shutting down (Ctrl-C): the hook runs, and cleanUp does nothing the second time.
            }
        }
        run.report.print(out);
        if (o.json() != null) {
            try {
                run.report.write(o.json());
                out.println("  json          " + o.json());
            } catch (IOException e) {
                out.println("  json          could not be written: " + e.getMessage());
            }
        }
        return run.report;
    }

    /** A step failed; the demo stops, cleans up and reports what it got. */
    private static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /** One run of the demo: its state between steps. */
    private static final class Run {
        final Options o;
        final PrintStream out;
        final DemoReport report = new DemoReport();
        /** cleanUp runs from the end of the demo and from the shutdown hook (Ctrl-C); only the first does the work. */
        final AtomicBoolean cleaned = new AtomicBoolean();
        /** Set by step 1, read by the shutdown hook. */
        volatile LocalTestbed bed;
        AmClient am;
        /** True between a successful Allocate and Delete: the slice must be deleted when the demo stops early. */
        boolean allocated;
        GuestWorkload work;
        String snapshotId;
        Map<String, Long> beforeSnapshot;
        Map<String, GuestConsole> original;

        Run(Options o, PrintStream out) {
            this.o = o;
            this.out = out;
        }

        void all() {
            try {
                step(1, "start a local federation, two host agents (QEMU) and the AM", this::startTestbed);
                step(2, "Allocate a three-VM slice from the snapshot-enabled request RSpec", this::allocate);
                step(3, "Provision, geni_start, wait until every sliver is geni_ready", this::provisionAndStart);
                step(4, "start the distributed workload (UDP both ways across hosts, a TCP stream)", this::startWorkload);
                step(5, "take a " + (o.mode() == null ? "live" : o.mode()) + " slice snapshot (vnsnap_snapshot), following Status",
                        this::snapshot);
                step(6, "Describe: the snapshot in the manifest", this::describe);
                step(7, "let the slice run on for " + o.runOn().toSeconds() + " s", this::runOn);
                step(8, "restore the snapshot (vnsnap_restore), following Status", this::restore);
                step(9, "show the workload resuming from the cut and check consistency", this::resume);
                step(10, "Delete the slice", this::delete);
            } catch (StepFailed e) {
                report.check("every step completed", false, e.getMessage());
            }
        }

        private void step(int n, String name, Body body) throws StepFailed {
            out.printf(Locale.ROOT, "[%d/%d] %s%n", n, STEPS, name);
            long t0 = System.nanoTime();
            try {
                body.run();
                report.steps.add(new DemoReport.Step(n, name, seconds(t0), true, ""));
            } catch (Exception | AssertionError e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                String why = e.getClass().getSimpleName() + ": " + e.getMessage();
                out.println("      failed: " + why);
                report.steps.add(new DemoReport.Step(n, name, seconds(t0), false, why));
                throw new StepFailed("step " + n + " (" + name + ") failed: " + why, e);
            }
        }

        private void startTestbed() throws Exception {
            Files.createDirectories(o.work());
            bed = LocalTestbed.start(o.work().resolve("testbed"));
            am = new AmClient(bed.v3(), bed.sliceUrn(SLICE), bed.sliceCredential(SLICE));
            report.amUrl = bed.am().url().toString();
            report.sliceUrn = am.sliceUrn();
            Map<String, Object> v = am.getVersion();
            out.printf("      AM %s (GENI AM API v%s over TLS), experimenter alice, slice %s%n", report.amUrl,
                    v.get("geni_api"), SLICE);
        }

        private void allocate() throws Exception {
            String request = requestFor(bed.amUrn());
            List<Map<String, Object>> slivers = AmClient.slivers(am.allocate(request));
            allocated = true;
            out.printf("      %d slivers geni_allocated (vm1, vm2 on hostd1; vm3 on hostd2; one LAN)%n", slivers.size());
            if (slivers.size() != 3) {
                throw new IllegalStateException("Allocate answered " + slivers.size() + " slivers, not 3");
            }
        }

        private void provisionAndStart() throws Exception {
            am.provision();
            am.poa("geni_start", LocalTestbed.options());
            List<Map<String, Object>> s = awaitStatus(x -> "geni_ready".equals(x.get("geni_operational_status")), BOOT, null);
            out.printf("      %d slivers geni_ready%n", s.size());
        }

        private void startWorkload() throws Exception {
            work = GuestWorkload.find(this::vms, BOOT);
            work.start(Duration.ofSeconds(60));
            work.awaitTraffic(Map.of(), TRAFFIC);
            out.printf("      flowing: vm3 read UDP #%d from vm1, vm1 read #%d from vm3, vm3 read TCP record %d from vm2%n",
                    work.last("vm3", GuestWorkload.UDP_RX), work.last("vm1", GuestWorkload.UDP_RX),
                    work.last("vm3", GuestWorkload.TCP_RX));
        }

        private void snapshot() throws Exception {
            Map<String, Object> options = snapshotOptions();
            if (o.mode() != null) {
                options.put("vnsnap_mode", o.mode());
            }
            beforeSnapshot = work.offsets();
            long t0 = System.nanoTime();
            Map<String, Object> answer = AmClient.struct(am.poa("vnsnap_snapshot", options));
            snapshotId = (String) answer.get("vnsnap_snapshot_id");
            out.printf("      %s started (mode %s)%n", snapshotId, options.get("vnsnap_mode"));
            List<Integer> seen = new ArrayList<>();
            List<Map<String, Object>> done = awaitStatus(x -> "geni_ready".equals(x.get("geni_operational_status"))
                    && snapshotId.equals(x.get("vnsnap_last_snapshot_id")), LONG_ACTION, s -> {
                        for (Map<String, Object> x : s) {
                            if (x.get("vnsnap_progress_percent") instanceof Integer p
                                    && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(p))) {
                                seen.add(p);
                                out.printf("      %-10s %3d%% of the snapshot bytes written%n", x.get("vnsnap_snapshot_state"), p);
                                break;
                            }
                        }
                    });
            double took = seconds(t0);
            Map<String, Object> st = done.get(0);
            String outcome = String.valueOf(st.get("vnsnap_last_outcome"));
            report.snapshot = new DemoReport.SnapshotFigures(snapshotId, String.valueOf(options.get("vnsnap_mode")), outcome, took,
                    integer(st, "vnsnap_last_duration_ms"), 0, integer(st, "vnsnap_last_cut_skew_us"),
                    integer(st, "vnsnap_last_frames_held"), integer(st, "vnsnap_last_frames_recorded"),
                    integer(st, "vnsnap_last_frames_dropped"), List.copyOf(seen), List.of());
            boolean ok = "succeeded".equals(outcome);
            report.check("snapshot succeeded", ok, ok ? snapshotId : String.valueOf(st.get("vnsnap_last_error")));
            boolean monotonic = true;
            for (int i = 1; i < seen.size(); i++) {
                monotonic &= seen.get(i) >= seen.get(i - 1);
            }
            report.check("snapshot progress never went backwards", monotonic, "seen " + seen);
            Integer dropped = report.snapshot.framesDropped();
            report.check("no frame dropped at the cut", dropped != null && dropped == 0, "frames_dropped " + dropped);
            out.printf(Locale.ROOT, "      %s in %.1f s%n", outcome, took);
            if (!ok) {
                throw new IllegalStateException("the snapshot failed: " + st.get("vnsnap_last_error"));
            }
        }

        private void describe() throws Exception {
            RSpec manifest = new RSpecReader().read(am.describe());
            SnapshotRecord rec = SliceSnapshots.read(manifest).orElseThrow(() ->
                    new IllegalStateException("the manifest lists no snapshots")).records().stream()
                    .filter(r -> r.id().equals(snapshotId)).findFirst().orElseThrow(() ->
                            new IllegalStateException("the manifest does not list " + snapshotId));
            List<DemoReport.VmFigures> vms = new ArrayList<>();
            for (VmSnapshot v : rec.vms()) {
                vms.add(new DemoReport.VmFigures(v.clientId(), v.sliverId(), v.downtime() == null ? null : v.downtime().toMillis(),
                        v.sizeBytes()));
                out.printf("      %s: downtime %s ms, %s%n", v.clientId(), v.downtime() == null ? "-" : v.downtime().toMillis(),
                        DemoReport.bytes(v.sizeBytes()));
            }
            DemoReport.SnapshotFigures s = report.snapshot;
            report.snapshot = new DemoReport.SnapshotFigures(s.id(), s.mode(), rec.state().wire(), s.seconds(), s.durationMs(),
                    rec.sizeBytes(), s.cutSkewUs(), s.framesHeld(), s.framesRecorded(), s.framesDropped(), s.progressSeen(), vms);
            List<String> ids = vms.stream().map(DemoReport.VmFigures::clientId).sorted().toList();
            boolean all = ids.equals(List.of("vm1", "vm2", "vm3")) && vms.stream().allMatch(v -> v.sizeBytes() > 0 && v.downtimeMs() != null);
            report.check("every VM in the snapshot with its size and downtime", all, ids + ", total " + DemoReport.bytes(rec.sizeBytes()));
            report.check("the manifest lists the snapshot complete", "complete".equals(rec.state().wire()), rec.state().wire());
        }

        private void runOn() throws Exception {
            Map<String, Long> at = work.offsets();
            long t0 = System.nanoTime();
            Thread.sleep(o.runOn().toMillis());
            report.runOnSeconds = seconds(t0);
            out.printf("      now vm3 has read UDP #%d from vm1, vm1 #%d from vm3, vm3 TCP record %d%n",
                    work.last("vm3", GuestWorkload.UDP_RX), work.last("vm1", GuestWorkload.UDP_RX), work.last("vm3", GuestWorkload.TCP_RX));
            original = work.keep(o.work().resolve("consoles"), "before-restore");
            List<String> gaps = new ArrayList<>();
            for (String rx : List.of("vm1", "vm3")) {
                WorkloadChecks.liveGaps(original.get(rx), beforeSnapshot.get(rx)).forEach(g -> gaps.add(rx + ": " + g));
            }
            long firstTx = original.get("vm2").matches(GuestWorkload.TCP_TX, beforeSnapshot.get("vm2")).stream().findFirst()
                    .map(m -> Long.parseLong(m.group(1))).orElse(-1L);
            WorkloadChecks.Tcp live = WorkloadChecks.tcpNow("live", original.get("vm2"), beforeSnapshot.get("vm2"),
                    original.get("vm3"), beforeSnapshot.get("vm3"), firstTx);
            report.tcp.add(live);
            List<String> bad = new ArrayList<>(gaps);
            bad.addAll(live.violations());
            report.check("the live slice lost nothing during and after the snapshot", bad.isEmpty(),
                    bad.isEmpty() ? "no UDP gap; TCP " + live.sumsCompared() + " checksums agree" : String.join("; ", bad));
            boolean advanced = at.entrySet().stream().allMatch(e -> original.get(e.getKey()).size() > e.getValue());
            report.check("the slice ran on after the snapshot", advanced, "every console grew during the " + o.runOn().toSeconds() + " s");
        }

        private void restore() throws Exception {
            long t0 = System.nanoTime();
            am.poa("vnsnap_restore", LocalTestbed.options("vnsnap_snapshot_id", snapshotId));
            out.println("      restoring " + snapshotId);
            List<Map<String, Object>> done = awaitStatus(x -> !"geni_configuring".equals(x.get("geni_operational_status"))
                    && "vnsnap_restore".equals(x.get("vnsnap_last_action")), LONG_ACTION, null);
            double took = seconds(t0);
            Map<String, Object> st = done.get(0);
            report.restore = new DemoReport.RestoreFigures(took, integer(st, "vnsnap_last_duration_ms"),
                    integer(st, "vnsnap_last_resume_skew_us"));
            boolean ok = "succeeded".equals(st.get("vnsnap_last_outcome"))
                    && done.stream().allMatch(x -> "geni_ready".equals(x.get("geni_operational_status")));
            report.check("restored slice is geni_ready", ok, ok ? "3 slivers geni_ready" : String.valueOf(st.get("vnsnap_last_error")));
            out.printf(Locale.ROOT, "      %s in %.1f s%n", st.get("vnsnap_last_outcome"), took);
            if (!ok) {
                throw new IllegalStateException("the restore failed: " + st.get("vnsnap_last_error"));
            }
        }

        private void resume() throws Exception {
            work.adopt(vms());
            Duration wait = Duration.ofMinutes(2);
            addUdp(WorkloadChecks.udp("vm1->vm3", original.get("vm1"), original.get("vm3"), work.console("vm1"), work.console("vm3"), wait));
            addUdp(WorkloadChecks.udp("vm3->vm1", original.get("vm3"), original.get("vm1"), work.console("vm3"), work.console("vm1"), wait));
            WorkloadChecks.Tcp t = WorkloadChecks.tcp("restored", work.console("vm2"), 0, work.console("vm3"), 0, wait);
            report.tcp.add(t);
            out.printf("      tcp vm2->vm3: the restored stream went on from record %d to %d, %d running checksums agree%n",
                    t.firstTx(), t.lastRx(), t.sumsCompared() - t.violations().size());
            report.check("tcp vm2->vm3 continuous across the restore", t.violations().isEmpty() && t.sumsCompared() >= 3,
                    t.violations().isEmpty() ? t.sumsCompared() + " running checksums compared" : String.join("; ", t.violations()));
            work.keep(o.work().resolve("consoles"), "after-restore");
        }

        private void addUdp(WorkloadChecks.Udp u) {
            report.udp.add(u);
            out.printf("      udp %s: sender at #%d at the cut; the slice ran on to #%d; after the restore it resumed at #%d"
                    + " (%d in flight at the cut, replayed) and read on to #%d%n", u.direction(), u.sentAtCut(), u.ranOnTo(),
                    u.resumedAt(), u.replayed(), u.readTo());
            boolean resumedFromCut = u.ranOnTo() > u.sentAtCut() && u.readTo() >= u.sentAtCut() + 20;
            report.check("udp " + u.direction() + " resumed from the cut", resumedFromCut, "cut #" + u.sentAtCut()
                    + ", ran on to #" + u.ranOnTo() + ", resumed at #" + u.resumedAt());
            report.check("udp " + u.direction() + " no orphan, loss or duplicate", u.violations().isEmpty(),
                    u.violations().isEmpty() ? u.replayed() + " replayed from the snapshot's channel state" : String.join("; ", u.violations()));
        }

        private void delete() throws Exception {
            am.delete();
            allocated = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!bed.vmsOnHosts().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            var left = bed.vmsOnHosts();
            report.check("Delete removed every VM", left.isEmpty(), left.isEmpty() ? "no VM left on the hosts" : "left: " + left);
        }

        /** Polls Status every half second until every sliver satisfies {@code done}; {@code each} sees every answer. */
        private List<Map<String, Object>> awaitStatus(java.util.function.Predicate<Map<String, Object>> done, Duration timeout,
                java.util.function.Consumer<List<Map<String, Object>>> each) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Map<String, Object>> last = List.of();
            while (System.nanoTime() < deadline) {
                last = am.status();
                if (each != null) {
                    each.accept(last);
                }
                if (!last.isEmpty() && last.stream().allMatch(done)) {
                    return last;
                }
                Thread.sleep(500);
            }
            throw new IllegalStateException("Status did not show the awaited state within " + timeout + "; last: " + last);
        }

        private List<VmInfo> vms() throws Exception {
            return bed.vmInfos().values().stream().flatMap(List::stream).toList();
        }

        /** Stops the AM and the host agents (which destroy their VMs), kills any QEMU left from this run, removes the files. */
        void cleanUp() {
            if (!cleaned.compareAndSet(false, true)) {
                return;
            }
            LocalTestbed b = bed;
            if (b != null) {
                if (allocated && am != null) {
                    try {
                        am.delete();
                    } catch (Exception e) {
                        // The host agents destroy the VMs when they stop anyway.
                    }
                }
                try {
                    b.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // Whatever still runs from this run's directory (a QEMU whose host agent died first): never this process
            // or its parents (the bash front names the directory when given --keep).
            String mine = o.work().toString();
            java.util.Set<Long> ours = new java.util.HashSet<>();
            for (Optional<ProcessHandle> p = Optional.of(ProcessHandle.current()); p.isPresent(); p = p.get().parent()) {
                ours.add(p.get().pid());
            }
            ProcessHandle.allProcesses().filter(p -> !ours.contains(p.pid())
                    && p.info().commandLine().orElse("").contains(mine)).forEach(ProcessHandle::destroyForcibly);
            if (!o.keep()) {
                deleteTree(o.work());
            } else {
                out.println("      kept " + o.work());
            }
        }
    }

    /** The example request with this aggregate's AM and node URNs in place of the example's. */
    static String requestFor(String amUrn) throws IOException {
        String text = Files.readString(Checkout.root().resolve(EXAMPLE_REQUEST));
        String authority = amUrn.split("\\+")[1];
        return text.replace("urn:publicid:IDN+" + EXAMPLE_AUTHORITY + "+authority+am", amUrn)
                .replace("urn:publicid:IDN+" + EXAMPLE_AUTHORITY + "+node+", "urn:publicid:IDN+" + authority + "+node+");
    }

    /** The options of the example snapshot call (what Omni's --optionsfile merges into the call's options). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> snapshotOptions() throws IOException {
        return new LinkedHashMap<>(new ObjectMapper().readValue(Checkout.root().resolve(EXAMPLE_SNAPSHOT_OPTIONS).toFile(), Map.class));
    }

    private static Integer integer(Map<String, Object> m, String key) {
        return m.get(key) instanceof Integer i ? i : null;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort: a file a dying QEMU still writes may stay.
                }
            });
        } catch (IOException e) {
            // Nothing more to do.
        }
    }
}
