package net.vnsnap.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.vnsnap.bench.SnapshotFigures;

/**
 * The report of one run: {@code report.md} with every benchmark's tables, and the pictures it links — the slice
 * snapshot timelines, downtime and throughput charts, and a bar chart of every other benchmark's table.
 */
public final class Report {

    public static final String MARKDOWN = "report.md";
    public static final String TIMELINE = "timeline.svg";
    public static final String DOWNTIME = "downtime.svg";
    public static final String THROUGHPUT = "throughput.svg";

    /** File name to content, in the order they are linked. */
    private final Map<String, String> files;

    private Report(Map<String, String> files) {
        this.files = files;
    }

    /** File name to content; everything is rendered before anything is written. */
    public Map<String, String> files() {
        return Map.copyOf(files);
    }

    /** Renders the whole report in memory; bad figures fail here, before any file exists. */
    public static Report of(BenchRun run) throws ReportException {
        Map<String, String> out = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder("# vnsnap benchmark report\n\n");
        Map<String, String> facts = run.run();
        if (!facts.isEmpty()) {
            md.append("| run | |\n|---|---|\n");
            facts.forEach((k, v) -> md.append("| ").append(cell(k)).append(" | ").append(cell(v)).append(" |\n"));
            md.append('\n');
        }
        if (run.benchmarks().isEmpty()) {
            md.append("No benchmark wrote figures in this run.\n");
        } else {
            md.append("Every table gives the median, the median absolute deviation (MAD, the spread), the 95th percentile, ")
                    .append("the extremes and the number of samples; ratios compare with a baseline measured in the same run.\n\n");
            for (BenchRun.Bench b : run.benchmarks()) {
                md.append("- [").append(b.name()).append("](#").append(anchor(b.name())).append(")\n");
            }
            md.append('\n');
        }
        for (BenchRun.Bench b : run.benchmarks()) {
            md.append("## ").append(b.name()).append("\n\n");
            if (!b.description().isEmpty()) {
                md.append(b.description()).append("\n\n");
            }
            if (b.json().has(SnapshotFigures.CONFIGS) || b.json().has(SnapshotFigures.TIMELINE)) {
                snapshotPictures(b, out, md);
            } else if (!b.rows().isEmpty()) {
                String name = "bench-" + slug(b.name()) + ".svg";
                out.put(name, RowsChart.render(b));
                md.append("![").append(b.name()).append(": median per metric](").append(name).append(")\n\n");
            }
            table(b, md);
        }
        Map<String, String> all = new LinkedHashMap<>();
        all.put(MARKDOWN, md.toString());
        all.putAll(out);
        return new Report(all);
    }

    /** Writes every file into {@code dir} (created if needed), each atomically; returns the Markdown file. */
    public Path writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path tmp = dir.resolve(f.getKey() + ".tmp");
            Files.writeString(tmp, f.getValue(), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(f.getKey()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return dir.resolve(MARKDOWN);
    }

    private static void snapshotPictures(BenchRun.Bench b, Map<String, String> out, StringBuilder md) throws ReportException {
        JsonNode main = b.json().path(SnapshotFigures.TIMELINE);
        if (main.isObject()) {
            out.put(TIMELINE, TimelineChart.render(main, b.description()));
            md.append("![timeline of one slice snapshot](").append(TIMELINE).append(")\n\n");
            md.append("*Timeline:* one snapshot of the slice (").append(main.path("config").asText()).append("). Each row is a VM; ")
                    .append("its bar shows the host's steps on the common wall clock, the red strip below it the span the VM was ")
                    .append("paused, the black mark its cut; the dashed line is the common cut instant the coordinator chose. ")
                    .append("The lower panel shows the same rows zoomed to the cuts and pauses.\n\n");
        }
        List<String> others = new ArrayList<>();
        for (JsonNode t : b.json().path(SnapshotFigures.TIMELINES)) {
            if (t.equals(main)) {
                continue;
            }
            String name = "timeline-" + slug(t.path("config").asText("snapshot")) + ".svg";
            out.put(name, TimelineChart.render(t, b.description()));
            others.add("[" + t.path("config").asText() + "](" + name + ")");
        }
        if (!others.isEmpty()) {
            md.append("Timelines of the other configurations: ").append(String.join(", ", others)).append(".\n\n");
        }
        JsonNode configs = b.json().path(SnapshotFigures.CONFIGS);
        if (configs.isArray() && configs.size() > 0) {
            List<GroupedBarChart.Group> down = new ArrayList<>();
            List<GroupedBarChart.Group> thr = new ArrayList<>();
            double baselineTcp = Double.NaN;
            String baselineName = null;
            for (JsonNode c : configs) {
                String label = c.path("config").asText("?");
                boolean base = c.path("baseline").asBoolean(false);
                down.add(new GroupedBarChart.Group(label, base, bars(c.path("downtime"))));
                List<GroupedBarChart.Bar> t = bars(c.path("throughput"));
                thr.add(new GroupedBarChart.Group(label, base, t));
                if (base && baselineName == null && !t.isEmpty()) {
                    baselineTcp = t.get(0).value();
                    baselineName = label + " (" + t.get(0).series() + ")";
                }
            }
            out.put(DOWNTIME, GroupedBarChart.render("VM downtime per snapshot mode", "each VM's pause per configuration; "
                    + "stop-and-copy is the baseline", "downtime (ms)", down, List.of()));
            List<GroupedBarChart.Reference> refs = new ArrayList<>();
            refs.add(new GroupedBarChart.Reference(1.0, "without a snapshot = 1"));
            if (baselineName != null && Double.isFinite(baselineTcp)) {
                refs.add(new GroupedBarChart.Reference(baselineTcp, "baseline " + baselineName + " = " + Scale.figure(baselineTcp)));
            }
            out.put(THROUGHPUT, GroupedBarChart.render("Application throughput during a snapshot",
                    "records/datagrams received per second while the snapshot ran, divided by the rate just before",
                    "throughput during / without snapshot", thr, refs));
            md.append("![downtime per mode](").append(DOWNTIME).append(")\n\n");
            md.append("*Downtime:* how long each VM was paused, per mode and colour policy (median of the rounds, whiskers ")
                    .append("from min to max); the shaded group is the stop-and-copy baseline.\n\n");
            md.append("![throughput during the snapshot](").append(THROUGHPUT).append(")\n\n");
            md.append("*Throughput:* the application's rate while the snapshot ran as a fraction of its rate without one ")
                    .append("(1 = unaffected), per mode; the dashed line marks 1, the dotted line the stop-and-copy baseline.\n\n");
        }
    }

    private static List<GroupedBarChart.Bar> bars(JsonNode byName) {
        List<GroupedBarChart.Bar> out = new ArrayList<>();
        byName.fields().forEachRemaining(e -> out.add(new GroupedBarChart.Bar(e.getKey(), BenchRun.num(e.getValue(), "median"),
                BenchRun.num(e.getValue(), "min"), BenchRun.num(e.getValue(), "max"))));
        return out;
    }

    private static void table(BenchRun.Bench b, StringBuilder md) {
        if (!b.rows().isEmpty()) {
            md.append("| metric | unit | median | MAD | p95 | min | max | n |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
            for (BenchRun.Row r : b.rows()) {
                md.append("| ").append(cell(r.metric())).append(" | ").append(cell(r.unit())).append(" | ").append(Scale.figure(r.median()))
                        .append(" | ").append(Scale.figure(r.mad())).append(" | ").append(Scale.figure(r.p95())).append(" | ")
                        .append(Scale.figure(r.min())).append(" | ").append(Scale.figure(r.max())).append(" | ").append(r.n()).append(" |\n");
            }
            md.append('\n');
        }
        if (!b.ratios().isEmpty()) {
            md.append("| ratio | value | against |\n|---|---:|---|\n");
            for (BenchRun.Ratio q : b.ratios()) {
                md.append("| ").append(cell(q.name())).append(" | ").append(Scale.figure(q.value())).append(" | ")
                        .append(cell(q.explanation())).append(" |\n");
            }
            md.append('\n');
        }
    }

    static String cell(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ");
    }

    static String slug(String s) {
        String t = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        return t.isEmpty() ? "x" : t;
    }

    /** GitHub's heading anchor for a benchmark name. */
    static String anchor(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }
}
