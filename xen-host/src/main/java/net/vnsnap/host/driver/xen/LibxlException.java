package net.vnsnap.host.driver.xen;

/** A libxl (or libc) call failed: which call, its result code and the closed reason. */
final class LibxlException extends Exception {
    private static final long serialVersionUID = 1L;

    private final LibxlError error;
    private final int rc;
    private final String call;

    LibxlException(String call, int rc, LibxlError error, String detail) {
        super(call + " failed: " + (error == LibxlError.SYSTEM ? "errno " + (-rc) : "rc=" + rc + " (ERROR_" + error.name() + ")")
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.error = error;
        this.rc = rc;
        this.call = call;
    }

    LibxlError error() {
        return error;
    }

    int rc() {
        return rc;
    }

    String call() {
        return call;
    }
}
