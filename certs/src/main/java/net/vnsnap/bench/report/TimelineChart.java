package net.vnsnap.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One slice snapshot on a common wall-clock axis: a row for the coordinator's steps and one per VM with its
 * host-side steps, the span it was paused, a marker at its cut, and a dashed line at the common cut.
 */
final class TimelineChart {

    /** A kind of step: its colour and legend text. */
    private record Kind(String colour, String legend) {
    }

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();
    /** Step names (QEMU driver, coordinator) to their kind; unknown names are drawn as "other". */
    private static final Map<String, String> KIND_OF = new LinkedHashMap<>();

    static {
        KINDS.put("setup", new Kind("#c9c9c9", "setup (migration settings, overlays prepared)"));
        KINDS.put("pre-copy", new Kind("#8fb8de", "pre-copy (memory copied while running)"));
        KINDS.put("pause", new Kind("#e15759", "pause command"));
        KINDS.put("disk", new Kind("#f28e2b", "disk freeze (overlay switch)"));
        KINDS.put("cut", new Kind("#b07aa1", "cut hook (port epoch)"));
        KINDS.put("memory", new Kind("#59a14f", "memory write-out"));
        KINDS.put("resume", new Kind("#76b7b2", "resume"));
        KINDS.put("store", new Kind("#edc948", "store (checksum, commit to the host's store)"));
        KINDS.put("prepare", new Kind("#d4d4d4", "prepare (hosts vote)"));
        KINDS.put("take", new Kind("#a9a9a9", "take (hosts cut and write)"));
        KINDS.put("commit", new Kind("#4d4d4d", "commit (durable, verified)"));
        KINDS.put("other", new Kind("#9c755f", "other step"));
        KIND_OF.put("configure", "setup");
        KIND_OF.put("pre-copy", "pre-copy");
        KIND_OF.put("pause", "pause");
        KIND_OF.put("disk-overlays", "disk");
        KIND_OF.put("cut-hook", "cut");
        KIND_OF.put("start-save", "memory");
        KIND_OF.put("arm-and-resume", "memory");
        KIND_OF.put("write-memory", "memory");
        KIND_OF.put("final-copy", "memory");
        KIND_OF.put("resume", "resume");
        KIND_OF.put("store", "store");
        KIND_OF.put("prepare", "prepare");
        KIND_OF.put("take", "take");
        KIND_OF.put("commit", "commit");
    }

    private static final String PAUSED = "#d62728";
    private static final double WIDTH = 1000;
    private static final double LEFT = 150;
    private static final double RIGHT = 30;
    private static final double TOP = 80;
    private static final double ROW = 40;

    private TimelineChart() {
    }

    static String kindOf(String step) {
        return KIND_OF.getOrDefault(step, "other");
    }

    /** A step of a row, in ms after the request. */
    private record Span(String name, double from, double to) {
    }

    private record VmRow(String label, List<Span> steps, double cut, double downtime) {
    }

    static String render(JsonNode t, String benchDescription) throws ReportException {
        String config = t.path("config").asText("?");
        List<Span> slice = spans(t.path("slice"), "slice");
        List<VmRow> vms = new ArrayList<>();
        for (JsonNode v : t.path("vms")) {
            String label = v.path("vm").asText("?") + (v.path("host").isTextual() ? " @ " + v.path("host").asText() : "");
            vms.add(new VmRow(label, spans(v.path("phases"), label), BenchRun.num(v, "cutMs"), BenchRun.num(v, "downtimeMs")));
        }
        if (vms.isEmpty()) {
            throw new ReportException("the timeline of " + config + " has no VMs");
        }
        double common = BenchRun.num(t, "commonCutMs");
        double end = 0;
        for (Span sp : slice) {
            end = Math.max(end, sp.to());
        }
        for (VmRow r : vms) {
            for (Span sp : r.steps()) {
                end = Math.max(end, sp.to());
            }
            if (Double.isFinite(r.cut())) {
                end = Math.max(end, r.cut() + (Double.isFinite(r.downtime()) ? r.downtime() : 0));
            }
        }
        if (Double.isFinite(common)) {
            end = Math.max(end, common);
        }

        int rows = vms.size() + (slice.isEmpty() ? 0 : 1);
        double panelH = rows * ROW;
        // The zoom panel spans the cuts and pauses with some margin: at the overview's scale they are a few pixels wide.
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (VmRow r : vms) {
            if (Double.isFinite(r.cut())) {
                lo = Math.min(lo, r.cut());
                hi = Math.max(hi, r.cut() + (Double.isFinite(r.downtime()) ? r.downtime() : 0));
            }
        }
        if (Double.isFinite(common)) {
            lo = Math.min(lo, common);
            hi = Math.max(hi, common);
        }
        boolean zoom = Double.isFinite(lo);
        double zoomTop = TOP + panelH + 100;
        double legendTop = (zoom ? zoomTop + panelH : TOP + panelH) + 62;
        List<String> kinds = new ArrayList<>();
        for (Span sp : slice) {
            addKind(kinds, kindOf(sp.name()));
        }
        for (VmRow r : vms) {
            r.steps().forEach(sp -> addKind(kinds, kindOf(sp.name())));
        }
        int legendLines = (kinds.size() + 3 + 2) / 3;
        double height = legendTop + legendLines * 18 + 20;
        String title = "One slice snapshot: " + config;
        Svg s = new Svg(WIDTH, height, title, "Each VM's snapshot steps on the hosts' common clock, in ms after the request; "
                + benchDescription);
        s.text("title", WIDTH / 2, 24, "middle", title, "font-size=\"16\" font-weight=\"bold\"");
        s.text("subtitle", WIDTH / 2, 44, "middle", Double.isFinite(common)
                ? "every host pauses its VMs at the common cut instant (dashed); the red strip is each VM's measured pause"
                : "live mode: each VM pauses at its own convergence (no common instant); the red strip is its measured pause",
                "fill=\"#555555\"");
        Scale x = new Scale(end, 1, LEFT, WIDTH - RIGHT, 10);
        panel(s, x, TOP, slice, vms, common, "", 0, x.max());
        s.text("axis-label", (LEFT + WIDTH - RIGHT) / 2, TOP + panelH + 36, "middle", "time since the snapshot request (ms)", "");
        if (zoom) {
            double pad = Math.max(5, 0.25 * (hi - lo));
            Scale z = Scale.range(Math.max(0, lo - pad), hi + pad, LEFT, WIDTH - RIGHT, 10);
            s.text("zoom-title", LEFT, zoomTop - 38, "start", "around the cut: " + z.label(z.min()) + " to " + z.label(z.max())
                    + " ms, same rows", "font-weight=\"bold\"");
            panel(s, z, zoomTop, slice, vms, common, "zoom-", z.min(), z.max());
            s.text("zoom-axis-label", (LEFT + WIDTH - RIGHT) / 2, zoomTop + panelH + 36, "middle",
                    "time since the snapshot request (ms), zoomed", "");
        }

        double ly = legendTop;
        int col = 0;
        List<String[]> entries = new ArrayList<>();
        for (String k : kinds) {
            entries.add(new String[] {"swatch", KINDS.get(k).colour(), KINDS.get(k).legend()});
        }
        entries.add(new String[] {"swatch", PAUSED, "VM paused (hypervisor STOP to RESUME)"});
        entries.add(new String[] {"cut", "#000000", "VM cut (pause instant)"});
        if (Double.isFinite(common)) {
            entries.add(new String[] {"common", "#d62728", "common cut instant"});
        }
        for (String[] e : entries) {
            double lx = LEFT - 130 + col * 310;
            switch (e[0]) {
                case "swatch" -> s.rect("legend-swatch", lx, ly - 10, 14, 12, e[1], null);
                case "cut" -> s.line("legend-swatch", lx + 7, ly - 11, lx + 7, ly + 3, e[1], 2, null, null);
                default -> s.line("legend-swatch", lx + 7, ly - 11, lx + 7, ly + 3, e[1], 1.5, "4 3", null);
            }
            s.text("legend", lx + 20, ly, "start", e[2], "");
            if (++col == 3) {
                col = 0;
                ly += 18;
            }
        }
        return s.finish();
    }

    /**
     * One panel: grid and axis, the coordinator's row, a row per VM, the cut markers; only what lies between
     * {@code lo} and {@code hi} (ms) is drawn, cut to that window. Classes carry {@code prefix}.
     */
    private static void panel(Svg s, Scale x, double top, List<Span> slice, List<VmRow> vms, double common, String prefix,
            double lo, double hi) {
        double bottom = top + (vms.size() + (slice.isEmpty() ? 0 : 1)) * ROW;
        for (double tk : x.ticks()) {
            double px = x.at(tk);
            s.line(prefix + "grid", px, top - 6, px, bottom, "#ececec", 1, null, null);
            s.line(prefix + "tick-mark", px, bottom, px, bottom + 5, "#333333", 1, null, null);
            s.text(prefix + "tick", px, bottom + 18, "middle", x.label(tk), "");
        }
        s.line(prefix + "axis", LEFT, bottom, WIDTH - RIGHT, bottom, "#333333", 1, null, null);
        double y = top;
        if (!slice.isEmpty()) {
            s.text(prefix + "row-label", LEFT - 8, y + ROW / 2 + 4, "end", "coordinator", "font-weight=\"bold\"");
            for (Span sp : slice) {
                step(s, x, sp, y + 8, 18, prefix + "slice-phase", "coordinator", lo, hi);
            }
            y += ROW;
        }
        for (VmRow r : vms) {
            s.text(prefix + "row-label", LEFT - 8, y + ROW / 2 + 4, "end", r.label(), "");
            for (Span sp : r.steps()) {
                step(s, x, sp, y + 6, 18, prefix + "phase", r.label(), lo, hi);
            }
            if (Double.isFinite(r.cut())) {
                if (Double.isFinite(r.downtime())) {
                    double px = x.at(r.cut());
                    s.rect(prefix + "downtime", px, y + 27, Math.max(1, x.at(r.cut() + r.downtime()) - px), 6, PAUSED,
                            r.label() + ": paused " + Scale.figure(r.downtime()) + " ms from " + Scale.figure(r.cut()) + " ms");
                }
                double cx = x.at(r.cut());
                s.line(prefix + "vm-cut", cx, y + 2, cx, y + ROW - 2, "#000000", 2, null,
                        r.label() + ": cut at " + Scale.figure(r.cut()) + " ms");
            }
            y += ROW;
        }
        if (Double.isFinite(common)) {
            double cx = x.at(common);
            s.line(prefix + "common-cut", cx, top - 14, cx, bottom, "#d62728", 1.5, "5 4",
                    "common cut instant: " + Scale.figure(common) + " ms");
            s.text(prefix + "common-cut-label", cx, top - 18, "middle", "common cut " + Scale.figure(common) + " ms",
                    "fill=\"#d62728\"");
        }
    }

    private static void addKind(List<String> kinds, String k) {
        if (!kinds.contains(k)) {
            kinds.add(k);
        }
    }

    /** A step's bar, cut to the window [lo, hi]; nothing when it lies outside. */
    private static void step(Svg s, Scale x, Span sp, double y, double h, String cls, String row, double lo, double hi) {
        if (sp.to() < lo || sp.from() > hi) {
            return;
        }
        double x0 = x.at(Math.max(lo, sp.from()));
        double w = Math.max(1, x.at(Math.min(hi, sp.to())) - x0);
        s.rect(cls, x0, y, w, h, KINDS.get(kindOf(sp.name())).colour(), row + ": " + sp.name() + " " + Scale.figure(sp.from())
                + " to " + Scale.figure(sp.to()) + " ms (" + Scale.figure(sp.to() - sp.from()) + " ms)");
    }

    /** {name: [from, to]} members as spans sorted by start; spans with missing ends are left out. */
    private static List<Span> spans(JsonNode o, String what) throws ReportException {
        List<Span> out = new ArrayList<>();
        if (o.isMissingNode() || o.isNull()) {
            return out;
        }
        if (!o.isObject()) {
            throw new ReportException("the steps of " + what + " must be an object of name: [from, to]");
        }
        Iterator<Map.Entry<String, JsonNode>> it = o.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode a = e.getValue();
            if (!a.isArray() || a.size() != 2) {
                throw new ReportException("step " + e.getKey() + " of " + what + " must be [from, to] in ms");
            }
            double from = a.get(0).isNumber() ? a.get(0).asDouble() : Double.NaN;
            double to = a.get(1).isNumber() ? a.get(1).asDouble() : Double.NaN;
            if (Double.isFinite(from) && Double.isFinite(to) && to >= from) {
                out.add(new Span(e.getKey(), Math.max(0, from), to));
            }
        }
        out.sort((p, q) -> Double.compare(p.from(), q.from()));
        return out;
    }
}
