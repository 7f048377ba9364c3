package net.vnsnap.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A linear axis over a range rounded out to 1-2-5 tick steps, mapped onto a pixel range. */
final class Scale {
    private final double min;
    private final double max;
    private final double step;
    private final double from;
    private final double to;

    /** An axis from 0 holding values up to {@code dataMax} (at least {@code floor}) drawn from pixel {@code from} to {@code to}. */
    Scale(double dataMax, double floor, double from, double to, int targetTicks) {
        this(targetTicks, 0, Double.isFinite(dataMax) ? Math.max(dataMax, floor) : floor, from, to);
    }

    /** An axis holding {@code lo} to {@code hi}, both rounded outwards to a tick. */
    static Scale range(double lo, double hi, double from, double to, int targetTicks) {
        return new Scale(targetTicks, lo, hi, from, to);
    }

    private Scale(int targetTicks, double lo, double hi, double from, double to) {
        double l = Double.isFinite(lo) ? lo : 0;
        double h = Double.isFinite(hi) ? hi : l + 1;
        if (!(h > l)) {
            h = l + 1;
        }
        this.step = niceStep((h - l) / Math.max(1, targetTicks));
        this.min = Math.floor(l / step + 1e-9) * step;
        this.max = Math.ceil(h / step - 1e-9) * step;
        this.from = from;
        this.to = to;
    }

    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * p;
    }

    double min() {
        return min;
    }

    double max() {
        return max;
    }

    /** The pixel of value {@code v}, clamped to the axis so nothing is drawn outside it. */
    double at(double v) {
        double c = Math.max(min, Math.min(max, v));
        return from + (to - from) * (c - min) / (max - min);
    }

    List<Double> ticks() {
        List<Double> t = new ArrayList<>();
        long first = Math.round(min / step);
        long last = Math.round(max / step);
        for (long i = first; i <= last; i++) {
            t.add(i * step);
        }
        return t;
    }

    /** A tick label: as many decimals as the step needs. */
    String label(double v) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
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
