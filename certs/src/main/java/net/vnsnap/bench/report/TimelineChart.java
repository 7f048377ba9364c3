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
        double plotBottom = TOP + rows * ROW;
        List<String> kinds = new ArrayList<>();
        for (Span sp : slice) {
            addKind(kinds, kindOf(sp.name()));
        }
        for (VmRow r : vms) {
            r.steps().forEach(sp -> addKind(kinds, kindOf(sp.name())));
        }
        int legendLines = (kinds.size() + 3 + 2) / 3;
        double height = plotBottom + 50 + legendLines * 18 + 30;
        String title = "One slice snapshot: " + config;
        Svg s = new Svg(WIDTH, height, title, "Each VM's snapshot steps on the hosts' common clock, in ms after the request; "
                + benchDescription);
        s.text("title", WIDTH / 2, 24, "middle", title, "font-size=\"16\" font-weight=\"bold\"");
        s.text("subtitle", WIDTH / 2, 44, "middle", Double.isFinite(common)
                ? "every host pauses its VMs at the common cut instant (dashed); the red strip is each VM's measured pause"
                : "live mode: each VM pauses at its own convergence (no common instant); the red strip is its measured pause",
                "fill=\"#555555\"");
        Scale x = new Scale(end, 1, LEFT, WIDTH - RIGHT, 10);
        for (double tk : x.ticks()) {
            double px = x.at(tk);
            s.line("grid", px, TOP - 6, px, plotBottom, "#ececec", 1, null, null);
            s.line("tick-mark", px, plotBottom, px, plotBottom + 5, "#333333", 1, null, null);
            s.text("tick", px, plotBottom + 18, "middle", x.label(tk), "");
        }
        s.line("axis", LEFT, plotBottom, WIDTH - RIGHT, plotBottom, "#333333", 1, null, null);
        s.text("axis-label", (LEFT + WIDTH - RIGHT) / 2, plotBottom + 36, "middle", "time since the snapshot request (ms)", "");

        double y = TOP;
        if (!slice.isEmpty()) {
            s.text("row-label", LEFT - 8, y + ROW / 2 + 4, "end", "coordinator", "font-weight=\"bold\"");
            for (Span sp : slice) {
                step(s, x, sp, y + 8, 18, "slice-phase", "coordinator");
            }
            y += ROW;
        }
        for (VmRow r : vms) {
            s.text("row-label", LEFT - 8, y + ROW / 2 + 4, "end", r.label(), "");
            for (Span sp : r.steps()) {
                step(s, x, sp, y + 6, 18, "phase", r.label());
            }
            if (Double.isFinite(r.cut())) {
                if (Double.isFinite(r.downtime())) {
                    double px = x.at(r.cut());
                    s.rect("downtime", px, y + 27, Math.max(1, x.at(r.cut() + r.downtime()) - px), 6, PAUSED,
                            r.label() + ": paused " + Scale.figure(r.downtime()) + " ms from " + Scale.figure(r.cut()) + " ms");
                }
                double cx = x.at(r.cut());
                s.line("vm-cut", cx, y + 2, cx, y + ROW - 2, "#000000", 2, null, r.label() + ": cut at " + Scale.figure(r.cut()) + " ms");
            }
            y += ROW;
        }
        if (Double.isFinite(common)) {
            double cx = x.at(common);
            s.line("common-cut", cx, TOP - 14, cx, plotBottom, "#d62728", 1.5, "5 4", "common cut instant: " + Scale.figure(common) + " ms");
            s.text("common-cut-label", cx, TOP - 18, "middle", "common cut " + Scale.figure(common) + " ms", "fill=\"#d62728\"");
        }

        double ly = plotBottom + 62;
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

    private static void addKind(List<String> kinds, String k) {
        if (!kinds.contains(k)) {
            kinds.add(k);
        }
    }

    private static void step(Svg s, Scale x, Span sp, double y, double h, String cls, String row) {
        double x0 = x.at(sp.from());
        double w = Math.max(1, x.at(sp.to()) - x0);
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
