package net.vnsnap.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one benchmark: rows of (metric, unit, stats) and named ratios, printed as a table
 * and, when {@code vnsnap.bench.dir} is set (bin/vnsnap bench sets it), written there as JSON.
 */
public final class BenchReport {

    /** The system property naming the directory that collects every benchmark's JSON. */
    public static final String DIR_PROPERTY = "vnsnap.bench.dir";

    private record Row(String metric, String unit, Stats stats) {
    }

    private record Ratio(String name, double value, String explanation) {
    }

    private final String name;
    private final String description;
    private final List<Row> rows = new ArrayList<>();
    private final List<Ratio> ratios = new ArrayList<>();
    /** Structured figures beyond the table (e.g. a timeline), written as extra members of the JSON object. */
    private final Map<String, Object> attachments = new LinkedHashMap<>();

    public BenchReport(String name, String description) {
        this.name = name;
        this.description = description;
    }

    public BenchReport add(String metric, String unit, Stats stats) {
        rows.add(new Row(metric, unit, stats));
        return this;
    }

    /** A ratio against a baseline measured in the same run, e.g. speed-up over an uncached verifier. */
    public BenchReport ratio(String ratioName, double value, String explanation) {
        ratios.add(new Ratio(ratioName, value, explanation));
        return this;
    }

    /**
     * Adds a member to the JSON beside the table, for figures a table cannot hold (the report generator draws
     * them). The value is a tree of maps with string keys, lists, strings, numbers, booleans, {@link Stats} and null.
     */
    public BenchReport attach(String key, Object value) {
        if (List.of("benchmark", "description", "rows", "ratios").contains(key)) {
            throw new IllegalArgumentException("'" + key + "' is a member every report has");
        }
        attachments.put(key, value);
        return this;
    }

    /** Prints the table to {@code out} and writes the JSON file when the directory property is set. */
    public void publish(PrintStream out) throws IOException {
        out.println();
        out.println("== " + name + ": " + description);
        out.printf(Locale.ROOT, "%-48s %-10s %12s %10s %12s %12s %5s%n", "metric", "unit", "median", "mad", "min", "max", "n");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-48s %-10s %12.3f %10.3f %12.3f %12.3f %5d%n", r.metric, r.unit,
                    r.stats.median(), r.stats.mad(), r.stats.min(), r.stats.max(), r.stats.count());
        }
        for (Ratio q : ratios) {
            out.printf(Locale.ROOT, "ratio %-42s %12.3f   (%s)%n", q.name, q.value, q.explanation);
        }
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path d = Path.of(dir);
            Files.createDirectories(d);
            Path tmp = d.resolve(name + ".json.tmp");
            Files.writeString(tmp, toJson(), StandardCharsets.UTF_8);
            Files.move(tmp, d.resolve(name + ".json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** The report as a JSON object. */
    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\"benchmark\":").append(quote(name)).append(",\"description\":").append(quote(description));
        b.append(",\"rows\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append(String.format(Locale.ROOT,
                    "{\"metric\":%s,\"unit\":%s,\"median\":%s,\"mad\":%s,\"p95\":%s,\"min\":%s,\"max\":%s,\"n\":%d}",
                    quote(r.metric), quote(r.unit), num(r.stats.median()), num(r.stats.mad()),
                    num(r.stats.percentile(95)), num(r.stats.min()), num(r.stats.max()), r.stats.count()));
        }
        b.append("],\"ratios\":[");
        for (int i = 0; i < ratios.size(); i++) {
            Ratio q = ratios.get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"name\":").append(quote(q.name)).append(",\"value\":").append(num(q.value))
                    .append(",\"explanation\":").append(quote(q.explanation)).append('}');
        }
        b.append(']');
        for (Map.Entry<String, Object> a : attachments.entrySet()) {
            b.append(',').append(quote(a.getKey())).append(':');
            value(b, a.getValue());
        }
        return b.append('}').toString();
    }

    private static void value(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            b.append(quote(s));
        } else if (v instanceof Boolean f) {
            b.append(f);
        } else if (v instanceof Integer || v instanceof Long) {
            b.append(v);
        } else if (v instanceof Number n) {
            b.append(num(n.doubleValue()));
        } else if (v instanceof Stats s) {
            b.append(String.format(Locale.ROOT, "{\"median\":%s,\"mad\":%s,\"p95\":%s,\"min\":%s,\"max\":%s,\"n\":%d}",
                    num(s.median()), num(s.mad()), num(s.percentile(95)), num(s.min()), num(s.max()), s.count()));
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                }
                if (!first) {
                    b.append(',');
                }
                first = false;
                b.append(quote(k)).append(':');
                value(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                value(b, l.get(i));
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
        }
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
