package net.vnsnap.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A benchmark's table as horizontal bars (median, min-max whisker), one panel with its own scale per unit. */
final class RowsChart {

    private static final double WIDTH = 1000;
    private static final double LABEL_W = 430;
    private static final double RIGHT = 70;
    private static final double BAR = 18;
    private static final double GAP = 6;
    /** Labels longer than this are cut with an ellipsis so they stay left of the bars; the full text is the tooltip. */
    private static final int MAX_LABEL = 68;

    private RowsChart() {
    }

    static String render(BenchRun.Bench b) {
        Map<String, List<BenchRun.Row>> byUnit = new LinkedHashMap<>();
        for (BenchRun.Row r : b.rows()) {
            byUnit.computeIfAbsent(r.unit().isEmpty() ? "(no unit)" : r.unit(), u -> new ArrayList<>()).add(r);
        }
        double height = 70;
        for (List<BenchRun.Row> rows : byUnit.values()) {
            height += 46 + rows.size() * (BAR + GAP);
        }
        height += 30;
        String title = b.name() + ": median per metric";
        Svg s = new Svg(WIDTH, height, title, b.description());
        s.text("title", WIDTH / 2, 24, "middle", title, "font-size=\"16\" font-weight=\"bold\"");
        s.text("subtitle", WIDTH / 2, 44, "middle", shorten(b.description(), 140), "fill=\"#555555\" font-size=\"11\"");
        double y = 70;
        int colour = 0;
        for (Map.Entry<String, List<BenchRun.Row>> e : byUnit.entrySet()) {
            List<BenchRun.Row> rows = e.getValue();
            double top = 0;
            for (BenchRun.Row r : rows) {
                for (double v : new double[] {r.median(), r.max()}) {
                    if (Double.isFinite(v)) {
                        top = Math.max(top, v);
                    }
                }
            }
            Scale x = new Scale(top * 1.05, 0, LABEL_W, WIDTH - RIGHT, 6);
            s.text("panel-label", 10, y + 12, "start", "unit: " + e.getKey(), "font-weight=\"bold\"");
            double axisY = y + 24;
            for (double t : x.ticks()) {
                s.text("tick", x.at(t), axisY - 4, "middle", x.label(t), "font-size=\"10\"");
                s.line("grid", x.at(t), axisY, x.at(t), axisY + rows.size() * (BAR + GAP), "#ececec", 1, null, null);
            }
            double ry = axisY + 4;
            String fill = GroupedBarChart.PALETTE[colour++ % GroupedBarChart.PALETTE.length];
            for (BenchRun.Row r : rows) {
                s.text("row-label", LABEL_W - 8, ry + BAR - 5, "end", shorten(r.metric(), MAX_LABEL), "font-size=\"11\"");
                if (Double.isFinite(r.median())) {
                    s.rect("bar", LABEL_W, ry, x.at(r.median()) - LABEL_W, BAR, fill, r.metric() + ": median "
                            + Scale.figure(r.median()) + " " + r.unit() + ", MAD " + Scale.figure(r.mad()) + ", n " + r.n());
                    if (Double.isFinite(r.min()) && Double.isFinite(r.max())) {
                        s.line("whisker", x.at(r.min()), ry + BAR / 2, x.at(r.max()), ry + BAR / 2, "#222222", 1.2, null, null);
                    }
                    s.text("value", Math.min(WIDTH - 4, x.at(Math.max(r.median(), Double.isFinite(r.max()) ? r.max() : 0)) + 4),
                            ry + BAR - 5, "start", Scale.figure(r.median()), "font-size=\"10\"");
                } else {
                    s.text("value", LABEL_W + 4, ry + BAR - 5, "start", "n/a", "font-size=\"10\"");
                }
                ry += BAR + GAP;
            }
            y = ry + 18;
        }
        s.text("note", 10, height - 12, "start", "bar: median; line: min to max", "fill=\"#555555\" font-size=\"11\"");
        return s.finish();
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }
}
