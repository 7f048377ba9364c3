package net.vnsnap.bench.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command behind {@code bin/vnsnap bench}'s report: merges benchmark JSON, optionally saves the merged file,
 * and writes the report directory.
 */
public final class ReportTool {

    static final String USAGE = """
            usage: ReportTool --from PATH [--from PATH ...] [--out DIR] [--json FILE] [--this-machine] [--fact KEY=VALUE ...]
              --from PATH     a merged run (bin/vnsnap bench --json), one benchmark's JSON, or a directory of them
              --out DIR       write DIR/report.md and its SVG pictures
              --json FILE     write the merged figures to FILE
              --this-machine  record the date and this machine (CPU, cores, memory, OS, Java) as the run's facts
              --fact K=V      record one more fact about the run (kept unless the input already has it)""";

    private ReportTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Clock.systemUTC()));
    }

    /** Runs the command; returns the exit status (0 done, 2 bad arguments or input). */
    static int run(String[] args, PrintStream out, PrintStream err, Clock clock) {
        List<Path> from = new ArrayList<>();
        Path dir = null;
        Path json = null;
        boolean machine = false;
        Map<String, String> facts = new LinkedHashMap<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--from" -> from.add(Path.of(value(args, ++i, "--from")));
                    case "--out" -> dir = Path.of(value(args, ++i, "--out"));
                    case "--json" -> json = Path.of(value(args, ++i, "--json"));
                    case "--this-machine" -> machine = true;
                    case "--fact" -> {
                        String kv = value(args, ++i, "--fact");
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new ReportException("--fact needs KEY=VALUE, got '" + kv + "'");
                        }
                        facts.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    default -> throw new ReportException("unknown argument '" + args[i] + "'");
                }
            }
            if (from.isEmpty()) {
                throw new ReportException("no input: give --from");
            }
            if (dir == null && json == null) {
                throw new ReportException("nothing to write: give --out and/or --json");
            }
            BenchRun run = BenchRun.read(from);
            if (machine) {
                facts.putAll(machineFacts(clock));
            }
            run = run.withRunFacts(facts);
            Report report = dir == null ? null : Report.of(run);
            if (json != null) {
                if (json.getParent() != null) {
                    Files.createDirectories(json.getParent());
                }
                Path tmp = json.resolveSibling(json.getFileName() + ".tmp");
                Files.writeString(tmp, run.toJson(), StandardCharsets.UTF_8);
                Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out.println("figures written to " + json);
            }
            if (report != null) {
                Path md = report.writeTo(dir);
                out.println("report written to " + md.toAbsolutePath().normalize());
            }
            return 0;
        } catch (ReportException e) {
            err.println("bench report: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("bench report: cannot write: " + e.getMessage());
            return 2;
        }
    }

    private static String value(String[] args, int i, String option) throws ReportException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new ReportException(option + " needs a value");
        }
        return args[i];
    }

    /** The date and what this machine is, as far as the JVM and /proc tell. */
    static Map<String, String> machineFacts(Clock clock) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", clock.instant().truncatedTo(ChronoUnit.MINUTES).toString());
        String cpu = procLine("/proc/cpuinfo", "model name");
        m.put("machine", (cpu == null ? System.getProperty("os.arch") : cpu) + ", " + Runtime.getRuntime().availableProcessors()
                + " cores" + memory());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return m;
    }

    private static String memory() {
        String mem = procLine("/proc/meminfo", "MemTotal");
        if (mem == null) {
            return "";
        }
        try {
            long kib = Long.parseLong(mem.replaceAll("[^0-9]", ""));
            return String.format(Locale.ROOT, ", %.0f GiB RAM", kib / 1024.0 / 1024.0);
        } catch (NumberFormatException e) {
            return "";
        }
    }

    private static String procLine(String file, String key) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    int c = line.indexOf(':');
                    return c < 0 ? null : line.substring(c + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
