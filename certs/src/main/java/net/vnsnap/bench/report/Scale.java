package net.vnsnap.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A linear axis from 0 to a rounded-up maximum, mapped onto a pixel range, with 1-2-5 tick steps. */
final class Scale {
    private final double max;
    private final double step;
    private final double from;
    private final double to;

    /** An axis holding values up to {@code dataMax} (at least {@code floor}) drawn from pixel {@code from} to {@code to}. */
    Scale(double dataMax, double floor, double from, double to, int targetTicks) {
        double m = Double.isFinite(dataMax) ? Math.max(dataMax, floor) : floor;
        if (!(m > 0)) {
            m = 1;
        }
        this.step = niceStep(m / Math.max(1, targetTicks));
        this.max = Math.ceil(m / step - 1e-9) * step;
        this.from = from;
        this.to = to;
    }

    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * p;
    }

    double max() {
        return max;
    }

    /** The pixel of value {@code v}, clamped to the axis so nothing is drawn outside it. */
    double at(double v) {
        double c = Math.max(0, Math.min(max, v));
        return from + (to - from) * c / max;
    }

    List<Double> ticks() {
        List<Double> t = new ArrayList<>();
        int count = (int) Math.round(max / step);
        for (int i = 0; i <= count; i++) {
            t.add(i * step);
        }
        return t;
    }

    /** A tick label: as many decimals as the step needs. */
    String label(double v) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A figure printed on a chart: three significant digits, no exponent. */
    static String figure(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }
}
