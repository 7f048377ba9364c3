package net.vnsnap.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.vnsnap.bench.BenchReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producers' real output path (BenchReport.publish into {@code vnsnap.bench.dir}, as every benchmark writes)
 * through the command bin/vnsnap bench runs: merge, save, report, and regenerate from the saved file.
 */
class ReportToolTest {

    @TempDir
    Path tmp;

    private static final Clock CLOCK = Clock.fixed(ReportTest.T0, ZoneOffset.UTC);

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ReportTool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), CLOCK);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, String> read(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return m;
    }

    @Test
    void publishedBenchmarksBecomeAMergedFileAndAReportThatRegeneratesIdentically() throws Exception {
        Path benchDir = tmp.resolve("bench");
        String old = System.getProperty(BenchReport.DIR_PROPERTY);
        System.setProperty(BenchReport.DIR_PROPERTY, benchDir.toString());
        try {
            PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            ReportTest.sliceReport().publish(sink);
            ReportTest.otherReport().publish(sink);
        } finally {
            if (old == null) {
                System.clearProperty(BenchReport.DIR_PROPERTY);
            } else {
                System.setProperty(BenchReport.DIR_PROPERTY, old);
            }
        }
        assertEquals(List.of("rspec-parse.json", "slice-snapshot.json"), read(benchDir).keySet().stream().toList());

        Path json = tmp.resolve("saved/run.json");
        Path rep = tmp.resolve("rep");
        Result r = run("--from", benchDir.toString(), "--json", json.toString(), "--out", rep.toString(), "--this-machine",
                "--fact", "qemu=QEMU 10.0.2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("report written to " + rep.toAbsolutePath().normalize().resolve("report.md")), r.out());
        Map<String, String> first = read(rep);
        assertTrue(first.keySet().containsAll(List.of("report.md", "timeline.svg", "downtime.svg", "throughput.svg",
                "timeline-live-hold-and-record.svg", "bench-rspec-parse.svg")), first.keySet().toString());
        String md = first.get("report.md");
        assertTrue(md.contains("| date | 2026-11-26T16:00:00Z |"), md);
        assertTrue(md.contains("| qemu | QEMU 10.0.2 |"), md);
        assertTrue(md.contains("| machine | "), md);
        String merged = Files.readString(json);
        assertTrue(merged.contains("\"benchmarks\"") && merged.contains("\"timelines\""));

        // Regenerating from the saved file alone (what bin/vnsnap bench --from does) gives the same report.
        Path again = tmp.resolve("again");
        Result r2 = run("--from", json.toString(), "--out", again.toString());
        assertEquals(0, r2.status(), r2.err());
        assertEquals(first, read(again));
    }

    @Test
    void badInputIsRefusedAndWritesNothing() throws Exception {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"benchmarks\": [ {\"benchmark\": \"a\"}, ");
        Path rep = tmp.resolve("rep");
        Result r = run("--from", bad.toString(), "--out", rep.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("not valid JSON"), r.err());
        assertFalse(Files.exists(rep));

        Result missing = run("--from", tmp.resolve("nope.json").toString(), "--out", rep.toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no such file or directory"), missing.err());
        assertFalse(Files.exists(rep));

        Path noVms = tmp.resolve("novms.json");
        Files.writeString(noVms, "{\"benchmark\":\"s\",\"timeline\":{\"config\":\"cow\",\"vms\":[]}}");
        Path json = tmp.resolve("out.json");
        Result r3 = run("--from", noVms.toString(), "--out", rep.toString(), "--json", json.toString());
        assertEquals(2, r3.status());
        assertFalse(Files.exists(rep));
        assertFalse(Files.exists(json), "nothing is written when the report cannot be drawn");

        assertEquals(2, run("--out", rep.toString()).status());
        assertEquals(2, run("--from", bad.toString()).status());
        assertEquals(2, run("--from").status());
        assertTrue(run("--from", bad.toString(), "--bogus").err().contains("unknown argument '--bogus'"));
    }
}
