package net.vnsnap.bench;

import java.util.Arrays;

/** Median, spread and extremes of a series of measurements of one quantity. */
public final class Stats {
    private final double[] sorted;

    public Stats(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        this.sorted = samples.clone();
        Arrays.sort(this.sorted);
    }

    public int count() {
        return sorted.length;
    }

    public double median() {
        return percentile(50);
    }

    /** Nearest-rank percentile, p in [0, 100]. */
    public double percentile(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public double min() {
        return sorted[0];
    }

    public double max() {
        return sorted[sorted.length - 1];
    }

    /** Median absolute deviation: the spread measure the tables print beside the median. */
    public double mad() {
        double m = median();
        double[] dev = new double[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            dev[i] = Math.abs(sorted[i] - m);
        }
        return new Stats(dev).median();
    }
}
