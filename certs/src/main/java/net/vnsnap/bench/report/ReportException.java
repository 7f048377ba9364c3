package net.vnsnap.bench.report;

/** Benchmark input the report generator cannot use (missing, not JSON, wrong shape); the message says which and why. */
public final class ReportException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReportException(String message) {
        super(message);
    }
}
