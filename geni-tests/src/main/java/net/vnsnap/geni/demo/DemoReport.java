package net.vnsnap.geni.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the slice demo did and measured, and whether every check passed; printed for people and written as JSON (docs/demo.md). */
final class DemoReport {

    /** Version of the JSON shape; raised when a field changes meaning or goes away. */
    static final int FORMAT = 1;

    /** One step of the demo: {@code ok} false when it failed (its error in {@code detail}). */
    record Step(int number, String name, double seconds, boolean ok, String detail) {
    }

    /** One consistency or outcome check. */
    record Check(String name, boolean passed, String detail) {
    }

    /** One VM's part of the snapshot as Describe's manifest lists it; downtime null when the manifest gave none. */
    record VmFigures(String clientId, String sliverId, Long downtimeMs, long sizeBytes) {
    }

    /**
     * The snapshot: {@code seconds} from the vnsnap_snapshot call to the slivers being geni_ready again as Status showed
     * it; the other figures as the AM reported them (Status's vnsnap_last_* fields, Describe's manifest); null when absent.
     */
    record SnapshotFigures(String id, String mode, String state, double seconds, Integer durationMs, long sizeBytes,
            Integer cutSkewUs, Integer framesHeld, Integer framesRecorded, Integer framesDropped, List<Integer> progressSeen,
            List<VmFigures> vms) {
    }

    /** The restore: {@code seconds} from the vnsnap_restore call to geni_ready; the AM's duration and resume skew. */
    record RestoreFigures(double seconds, Integer durationMs, Integer resumeSkewUs) {
    }

    final List<Step> steps = new ArrayList<>();
    final List<Check> checks = new ArrayList<>();
    String amUrl = "";
    String sliceUrn = "";
    double runOnSeconds;
    SnapshotFigures snapshot;
    RestoreFigures restore;
    final List<WorkloadChecks.Udp> udp = new ArrayList<>();
    final List<WorkloadChecks.Tcp> tcp = new ArrayList<>();

    void check(String name, boolean passed, String detail) {
        checks.add(new Check(name, passed, detail));
    }

    /** True only when every step succeeded and there were checks and each passed. */
    boolean passed() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::passed) && steps.stream().allMatch(Step::ok);
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("demo", "slice");
        m.put("format", FORMAT);
        m.put("passed", passed());
        m.put("am_url", amUrl);
        m.put("slice", sliceUrn);
        List<Map<String, Object>> st = new ArrayList<>();
        for (Step s : steps) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("step", s.number());
            x.put("name", s.name());
            x.put("seconds", round(s.seconds()));
            x.put("ok", s.ok());
            x.put("detail", s.detail());
            st.add(x);
        }
        m.put("steps", st);
        if (snapshot != null) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("id", snapshot.id());
            x.put("mode", snapshot.mode());
            x.put("state", snapshot.state());
            x.put("seconds", round(snapshot.seconds()));
            x.put("duration_ms", snapshot.durationMs());
            x.put("size_bytes", snapshot.sizeBytes());
            x.put("cut_skew_us", snapshot.cutSkewUs());
            x.put("frames_held", snapshot.framesHeld());
            x.put("frames_recorded", snapshot.framesRecorded());
            x.put("frames_dropped", snapshot.framesDropped());
            x.put("progress_seen", snapshot.progressSeen());
            List<Map<String, Object>> vms = new ArrayList<>();
            for (VmFigures v : snapshot.vms()) {
                Map<String, Object> y = new LinkedHashMap<>();
                y.put("client_id", v.clientId());
                y.put("sliver_id", v.sliverId());
                y.put("downtime_ms", v.downtimeMs());
                y.put("size_bytes", v.sizeBytes());
                vms.add(y);
            }
            x.put("vms", vms);
            m.put("snapshot", x);
        }
        m.put("run_on_seconds", round(runOnSeconds));
        if (restore != null) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("seconds", round(restore.seconds()));
            x.put("duration_ms", restore.durationMs());
            x.put("resume_skew_us", restore.resumeSkewUs());
            m.put("restore", x);
        }
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("udp", udp.stream().map(WorkloadChecks.Udp::json).toList());
        w.put("tcp", tcp.stream().map(WorkloadChecks.Tcp::json).toList());
        m.put("workload", w);
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Check c : checks) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", c.name());
            x.put("passed", c.passed());
            x.put("detail", c.detail());
            cs.add(x);
        }
        m.put("checks", cs);
        return m;
    }

    void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json()) + "\n");
    }

    /** The human-readable report. */
    void print(PrintStream out) {
        out.println();
        out.println("report");
        if (snapshot != null) {
            out.printf(Locale.ROOT, "  snapshot      %s (%s, %s): %s in %.1f s (AM: %s ms)%n", snapshot.id(), snapshot.mode(),
                    snapshot.state(), bytes(snapshot.sizeBytes()), snapshot.seconds(), orDash(snapshot.durationMs()));
            for (VmFigures v : snapshot.vms()) {
                out.printf(Locale.ROOT, "    %-6s      downtime %s ms, %s%n", v.clientId(), orDash(v.downtimeMs()), bytes(v.sizeBytes()));
            }
            out.printf(Locale.ROOT, "  cut skew      %s us%n", orDash(snapshot.cutSkewUs()));
            out.printf(Locale.ROOT, "  frames        held %s, recorded %s, dropped %s%n", orDash(snapshot.framesHeld()),
                    orDash(snapshot.framesRecorded()), orDash(snapshot.framesDropped()));
        }
        if (restore != null) {
            out.printf(Locale.ROOT, "  restore       %.1f s (AM: %s ms), resume skew %s us%n", restore.seconds(),
                    orDash(restore.durationMs()), orDash(restore.resumeSkewUs()));
        }
        for (WorkloadChecks.Udp u : udp) {
            out.printf(Locale.ROOT, "  udp %-9s at the cut #%d, ran on to #%d, resumed at #%d (%d replayed from the snapshot)%n",
                    u.direction(), u.sentAtCut(), u.ranOnTo(), u.resumedAt(), u.replayed());
        }
        for (WorkloadChecks.Tcp t : tcp) {
            out.printf(Locale.ROOT, "  tcp %-9s records %d..%d, %d running checksums compared%n", t.run(), t.firstTx(), t.lastRx(),
                    t.sumsCompared());
        }
        out.println("  checks");
        for (Check c : checks) {
            out.printf("    %-5s %s%s%n", c.passed() ? "ok" : "FAIL", c.name(), c.detail().isEmpty() ? "" : " (" + c.detail() + ")");
        }
        long failed = checks.stream().filter(c -> !c.passed()).count();
        out.printf("  result        %s: %d checks, %d failed%n", passed() ? "PASSED" : "FAILED", checks.size(), failed);
    }

    private static String orDash(Object o) {
        return o == null ? "-" : o.toString();
    }

    static String bytes(long b) {
        return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    }

    private static double round(double s) {
        return Math.round(s * 1000) / 1000.0;
    }
}
