package net.vnsnap.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Vertical bars in groups (one group per configuration, one bar per series in it) with min-max whiskers, the
 * baseline group shaded, and optional horizontal reference lines.
 */
final class GroupedBarChart {

    /** One bar: its series (colour and legend entry), median and whisker ends; NaN when not measured. */
    record Bar(String series, double value, double low, double high) {
    }

    /** One group of bars under a label; {@code baseline} shades it as the one the others are compared with. */
    record Group(String label, boolean baseline, List<Bar> bars) {
    }

    /** A horizontal line at {@code value} with a label, e.g. "no snapshot = 1". */
    record Reference(double value, String label) {
    }

    static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"};

    private static final double WIDTH = 900;
    private static final double HEIGHT = 480;
    private static final double LEFT = 80;
    private static final double RIGHT = 30;
    private static final double TOP = 70;
    private static final double PLOT_BOTTOM = 370;

    private GroupedBarChart() {
    }

    static String render(String title, String subtitle, String yLabel, List<Group> groups, List<Reference> refs) {
        Set<String> series = new LinkedHashSet<>();
        double top = 0;
        for (Group g : groups) {
            for (Bar b : g.bars()) {
                series.add(b.series());
                for (double v : new double[] {b.value(), b.high()}) {
                    if (Double.isFinite(v)) {
                        top = Math.max(top, v);
                    }
                }
            }
        }
        for (Reference r : refs) {
            top = Math.max(top, r.value());
        }
        List<String> seriesList = new ArrayList<>(series);
        Svg s = new Svg(WIDTH, HEIGHT, title, subtitle);
        s.text("title", WIDTH / 2, 24, "middle", title, "font-size=\"16\" font-weight=\"bold\"");
        s.text("subtitle", WIDTH / 2, 44, "middle", subtitle, "fill=\"#555555\"");
        Scale y = new Scale(top * 1.08, 0, PLOT_BOTTOM, TOP, 6);

        double plotW = WIDTH - LEFT - RIGHT;
        double groupW = groups.isEmpty() ? plotW : plotW / groups.size();
        for (int gi = 0; gi < groups.size(); gi++) {
            if (groups.get(gi).baseline()) {
                double gx = LEFT + gi * groupW;
                s.rect("baseline-band", gx + 2, TOP, groupW - 4, PLOT_BOTTOM - TOP, "#fff4d6", "baseline: " + groups.get(gi).label());
            }
        }
        for (double t : y.ticks()) {
            double py = y.at(t);
            s.line("grid", LEFT, py, WIDTH - RIGHT, py, "#e6e6e6", 1, null, null);
            s.text("tick", LEFT - 6, py + 4, "end", y.label(t), "");
        }
        s.line("axis", LEFT, PLOT_BOTTOM, WIDTH - RIGHT, PLOT_BOTTOM, "#333333", 1, null, null);
        s.line("axis", LEFT, TOP, LEFT, PLOT_BOTTOM, "#333333", 1, null, null);
        s.verticalText("axis-label", 22, (TOP + PLOT_BOTTOM) / 2, yLabel);

        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            double gx = LEFT + gi * groupW;
            int k = Math.max(1, g.bars().size());
            double inner = groupW * 0.8;
            double barW = Math.min(60, inner / k);
            double start = gx + (groupW - barW * k) / 2;
            for (int bi = 0; bi < g.bars().size(); bi++) {
                Bar b = g.bars().get(bi);
                double bx = start + bi * barW;
                String colour = PALETTE[seriesList.indexOf(b.series()) % PALETTE.length];
                if (!Double.isFinite(b.value())) {
                    s.text("value", bx + barW / 2, PLOT_BOTTOM - 4, "middle", "n/a", "font-size=\"10\"");
                    continue;
                }
                double py = y.at(b.value());
                String tip = g.label() + ", " + b.series() + ": median " + Scale.figure(b.value()) + " (min "
                        + Scale.figure(b.low()) + ", max " + Scale.figure(b.high()) + ")";
                s.rect("bar", bx + 1, py, barW - 2, PLOT_BOTTOM - py, colour, tip);
                if (Double.isFinite(b.low()) && Double.isFinite(b.high())) {
                    double cx = bx + barW / 2;
                    double lo = y.at(b.low());
                    double hi = y.at(b.high());
                    s.line("whisker", cx, lo, cx, hi, "#222222", 1.2, null, null);
                    s.line("whisker-cap", cx - barW / 5, lo, cx + barW / 5, lo, "#222222", 1.2, null, null);
                    s.line("whisker-cap", cx - barW / 5, hi, cx + barW / 5, hi, "#222222", 1.2, null, null);
                }
                double labelY = Math.max(TOP - 2, Math.min(py, Double.isFinite(b.high()) ? y.at(b.high()) : py) - 4);
                s.text("value", bx + barW / 2, labelY, "middle", Scale.figure(b.value()), "font-size=\"10\"");
            }
            s.text("group-label", gx + groupW / 2, PLOT_BOTTOM + 18, "middle", g.label(), "");
            if (g.baseline()) {
                s.text("baseline-label", gx + groupW / 2, PLOT_BOTTOM + 34, "middle", "(baseline)", "font-style=\"italic\"");
            }
        }
        String[] refDash = {"6 4", "2 3"};
        for (int i = 0; i < refs.size(); i++) {
            double py = y.at(refs.get(i).value());
            s.line("reference", LEFT, py, WIDTH - RIGHT, py, "#444444", 1.4, refDash[i % refDash.length], refs.get(i).label());
        }
        double lx = LEFT;
        double ly = PLOT_BOTTOM + 58;
        for (int i = 0; i < seriesList.size(); i++) {
            double w = 26 + 7.5 * seriesList.get(i).length();
            if (lx + w > WIDTH - RIGHT && lx > LEFT) {
                lx = LEFT;
                ly += 16;
            }
            s.rect("legend-swatch", lx, ly - 10, 12, 12, PALETTE[i % PALETTE.length], null);
            s.text("legend", lx + 16, ly, "start", seriesList.get(i), "");
            lx += w;
        }
        // The reference lines are explained in the legend, not on the plot, where they would cover the bars' figures.
        lx = LEFT;
        ly += 18;
        for (int i = 0; i < refs.size(); i++) {
            s.line("legend-swatch", lx, ly - 4, lx + 24, ly - 4, "#444444", 1.4, refDash[i % refDash.length], null);
            s.text("reference-label", lx + 30, ly, "start", refs.get(i).label(), "");
            lx += 60 + 7 * refs.get(i).label().length();
        }
        s.text("note", LEFT, HEIGHT - 14, "start", "bar: median; whisker: min to max over the rounds", "fill=\"#555555\" font-size=\"11\"");
        return s.finish();
    }
}
