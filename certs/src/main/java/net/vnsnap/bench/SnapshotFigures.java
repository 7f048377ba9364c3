package net.vnsnap.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A slice snapshot benchmark's figures beyond its table — per configuration the downtime of each VM and the
 * application throughput, and the step timeline of one snapshot per configuration — in the JSON shape the report
 * generator ({@code net.vnsnap.bench.report}) draws; producers build it here so the two cannot drift apart.
 */
public final class SnapshotFigures {

    /** JSON member: array of configurations, each {config, mode, policy, baseline, downtime: {vm: stats}, throughput: {flow: stats}}. */
    public static final String CONFIGS = "configs";
    /** JSON member: the timeline drawn as the report's main timeline picture (the first one added). */
    public static final String TIMELINE = "timeline";
    /** JSON member: every timeline, one per configuration. */
    public static final String TIMELINES = "timelines";

    private final Map<String, Config> configs = new LinkedHashMap<>();
    private final List<Timeline> timelines = new ArrayList<>();

    /** The configuration named {@code name} (e.g. "cow hold_and_record"), created on first use. */
    public Config config(String name, String mode, String policy, boolean baseline) {
        return configs.computeIfAbsent(name, n -> new Config(n, mode, policy, baseline));
    }

    /** Starts the timeline of one snapshot of {@code config}; times are kept relative to {@code start} (the request). */
    public Timeline timeline(String config, String mode, Instant start) {
        Timeline t = new Timeline(config, mode, start);
        timelines.add(t);
        return t;
    }

    /** Adds the figures to the report's JSON. */
    public void attachTo(BenchReport report) {
        List<Object> cs = new ArrayList<>();
        configs.values().forEach(c -> cs.add(c.json()));
        report.attach(CONFIGS, cs);
        if (!timelines.isEmpty()) {
            report.attach(TIMELINE, timelines.get(0).json());
            report.attach(TIMELINES, timelines.stream().map(t -> (Object) t.json()).toList());
        }
    }

    /** One mode and colour policy: its per-VM downtime and throughput samples' statistics. */
    public static final class Config {
        private final String name;
        private final String mode;
        private final String policy;
        /** True for the stop-and-copy configuration the others are compared against. */
        private final boolean baseline;
        private final Map<String, Object> downtime = new LinkedHashMap<>();
        private final Map<String, Object> throughput = new LinkedHashMap<>();

        private Config(String name, String mode, String policy, boolean baseline) {
            this.name = name;
            this.mode = mode;
            this.policy = policy;
            this.baseline = baseline;
        }

        /** One VM's downtime over the rounds, in ms. */
        public Config downtime(String vm, Stats ms) {
            downtime.put(vm, ms);
            return this;
        }

        /** One flow's (e.g. "TCP") throughput during the snapshot divided by its throughput without one. */
        public Config throughput(String flow, Stats fraction) {
            throughput.put(flow, fraction);
            return this;
        }

        private Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("config", name);
            m.put("mode", mode);
            m.put("policy", policy);
            m.put("baseline", baseline);
            m.put("downtime", downtime);
            m.put("throughput", throughput);
            return m;
        }
    }

    /** The steps of one slice snapshot on a common wall-clock axis, in ms after the request. */
    public static final class Timeline {
        private final String config;
        private final String mode;
        private final Instant start;
        private Instant commonCut;
        private final Map<String, Object> slicePhases = new LinkedHashMap<>();
        private final List<Map<String, Object>> vms = new ArrayList<>();

        private Timeline(String config, String mode, Instant start) {
            this.config = config;
            this.mode = mode;
            this.start = start;
        }

        /** The cut instant every host was given (none for live snapshots). */
        public Timeline commonCut(Instant at) {
            commonCut = at;
            return this;
        }

        /** A step of the whole slice (the coordinator's prepare, take, commit). */
        public Timeline slicePhase(String name, Instant from, Instant to) {
            slicePhases.put(name, span(from, to));
            return this;
        }

        /**
         * One VM: its cut, how long it stayed paused, and its host-side steps, which follow each other from
         * {@code phasesStart} (null when the host did not report it: then the steps are left out).
         */
        public Timeline vm(String vm, String host, Instant cut, Duration downtime, Instant phasesStart,
                Map<String, Duration> phases) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("vm", vm);
            v.put("host", host);
            v.put("cutMs", ms(cut));
            v.put("downtimeMs", downtime == null ? null : downtime.toNanos() / 1e6);
            Map<String, Object> ps = new LinkedHashMap<>();
            if (phasesStart != null) {
                Instant at = phasesStart;
                for (Map.Entry<String, Duration> p : phases.entrySet()) {
                    Instant end = at.plus(p.getValue());
                    ps.put(p.getKey(), span(at, end));
                    at = end;
                }
            }
            v.put("phases", ps);
            vms.add(v);
            return this;
        }

        private Double ms(Instant t) {
            return t == null ? null : Duration.between(start, t).toNanos() / 1e6;
        }

        private List<Object> span(Instant from, Instant to) {
            return List.of(ms(from), ms(to));
        }

        private Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("config", config);
            m.put("mode", mode);
            m.put("start", start.toString());
            m.put("commonCutMs", ms(commonCut));
            m.put("slice", slicePhases);
            m.put("vms", vms);
            return m;
        }
    }
}
