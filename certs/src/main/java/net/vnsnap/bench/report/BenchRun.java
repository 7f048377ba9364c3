package net.vnsnap.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The benchmarks of one run as their JSON files hold them: read from a merged file ({@code {"run":..,
 * "benchmarks":[..]}}), a single benchmark's file, or a directory of them, and written back as one merged file.
 */
public final class BenchRun {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Benchmark files larger than this are not benchmark output; refusing them keeps a wrong path from eating memory. */
    static final long MAX_FILE_BYTES = 64L << 20;

    /** One table row: a quantity's median, spread and extremes; missing figures are NaN. */
    public record Row(String metric, String unit, double median, double mad, double p95, double min, double max, int n) {
    }

    /** A ratio against a baseline measured in the same run. */
    public record Ratio(String name, double value, String explanation) {
    }

    /** One benchmark's report; {@code json} is the whole object, for the members beyond the table. */
    public record Bench(String name, String description, List<Row> rows, List<Ratio> ratios, JsonNode json) {
        public Bench {
            rows = List.copyOf(rows);
            ratios = List.copyOf(ratios);
        }
    }

    private final Map<String, String> run;
    private final List<Bench> benchmarks;

    public BenchRun(Map<String, String> run, List<Bench> benchmarks) {
        this.run = Map.copyOf(run);
        List<Bench> sorted = new ArrayList<>(benchmarks);
        sorted.sort(Comparator.comparing(Bench::name));
        this.benchmarks = List.copyOf(sorted);
    }

    /** Facts about the run (date, machine, ...) in key order; empty when the input had none. */
    public Map<String, String> run() {
        return new java.util.TreeMap<>(run);
    }

    /** The benchmarks sorted by name. */
    public List<Bench> benchmarks() {
        return benchmarks;
    }

    /** This run with the given facts added (existing keys are kept). */
    public BenchRun withRunFacts(Map<String, String> facts) {
        Map<String, String> m = new LinkedHashMap<>(facts);
        m.putAll(run);
        return new BenchRun(m, benchmarks);
    }

    /** Reads every path (a merged file, one benchmark's file, or a directory of *.json files) into one run. */
    public static BenchRun read(List<Path> paths) throws ReportException {
        Map<String, String> run = new LinkedHashMap<>();
        Map<String, Bench> byName = new LinkedHashMap<>();
        for (Path p : paths) {
            List<Path> files = new ArrayList<>();
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f)).sorted().forEach(files::add);
                } catch (IOException e) {
                    throw new ReportException("cannot list " + p + ": " + e.getMessage());
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new ReportException("no such file or directory: " + p);
            }
            for (Path f : files) {
                collect(parse(f), f.toString(), run, byName);
            }
        }
        return new BenchRun(run, new ArrayList<>(byName.values()));
    }

    /** Parses one JSON text: a merged run or one benchmark's object. */
    public static BenchRun parse(String json) throws ReportException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ReportException("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ReportException("expected a JSON object");
        }
        Map<String, String> run = new LinkedHashMap<>();
        Map<String, Bench> byName = new LinkedHashMap<>();
        collect(root, "input", run, byName);
        return new BenchRun(run, new ArrayList<>(byName.values()));
    }

    private static void collect(JsonNode root, String f, Map<String, String> run, Map<String, Bench> byName) throws ReportException {
        if (root.has("benchmarks")) {
            JsonNode list = root.get("benchmarks");
            if (!list.isArray()) {
                throw new ReportException(f + ": \"benchmarks\" must be an array");
            }
            for (JsonNode b : list) {
                add(byName, bench(b, f), f);
            }
            root.path("run").fields().forEachRemaining(e -> run.putIfAbsent(e.getKey(), e.getValue().asText()));
        } else {
            add(byName, bench(root, f), f);
        }
    }

    private static void add(Map<String, Bench> byName, Bench b, String f) throws ReportException {
        if (byName.putIfAbsent(b.name(), b) != null) {
            throw new ReportException(f + ": benchmark '" + b.name() + "' appears twice in the input");
        }
    }

    private static JsonNode parse(Path f) throws ReportException {
        try {
            if (Files.size(f) > MAX_FILE_BYTES) {
                throw new ReportException(f + " is larger than " + (MAX_FILE_BYTES >> 20) + " MiB: not a benchmark file");
            }
            JsonNode n = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
            if (n == null || !n.isObject()) {
                throw new ReportException(f + ": expected a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new ReportException(f + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ReportException("cannot read " + f + ": " + e.getMessage());
        }
    }

    private static Bench bench(JsonNode b, String f) throws ReportException {
        if (!b.isObject() || !b.path("benchmark").isTextual() || b.path("benchmark").asText().isBlank()) {
            throw new ReportException(f + ": every benchmark needs a \"benchmark\" name");
        }
        String name = b.get("benchmark").asText();
        List<Row> rows = new ArrayList<>();
        for (JsonNode r : array(b, "rows", name, f)) {
            if (!r.path("metric").isTextual()) {
                throw new ReportException(f + ": a row of " + name + " has no metric");
            }
            rows.add(new Row(r.get("metric").asText(), r.path("unit").asText(""), num(r, "median"), num(r, "mad"), num(r, "p95"),
                    num(r, "min"), num(r, "max"), r.path("n").asInt(0)));
        }
        List<Ratio> ratios = new ArrayList<>();
        for (JsonNode q : array(b, "ratios", name, f)) {
            ratios.add(new Ratio(q.path("name").asText(""), num(q, "value"), q.path("explanation").asText("")));
        }
        return new Bench(name, b.path("description").asText(""), rows, ratios, b);
    }

    private static JsonNode array(JsonNode b, String key, String name, String f) throws ReportException {
        JsonNode a = b.path(key);
        if (a.isMissingNode() || a.isNull()) {
            return JSON.createArrayNode();
        }
        if (!a.isArray()) {
            throw new ReportException(f + ": \"" + key + "\" of " + name + " must be an array");
        }
        return a;
    }

    /** A number member, NaN when absent, null or not a number. */
    static double num(JsonNode n, String key) {
        JsonNode v = n.path(key);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }

    /** The merged JSON: run facts and every benchmark's object as it was read. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode facts = root.putObject("run");
        run().forEach(facts::put);
        ArrayNode list = root.putArray("benchmarks");
        benchmarks.forEach(b -> list.add(b.json()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
