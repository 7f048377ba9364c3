package net.vnsnap.host.driver.qemu;

/** A QMP command failed, timed out, or the connection to QEMU is gone. */
class QmpException extends Exception {
    private static final long serialVersionUID = 1L;

    /** QEMU's error class ("GenericError", ...), or "Timeout" / "Closed" for local failures. */
    private final String errorClass;

    QmpException(String errorClass, String message) {
        super(message);
        this.errorClass = errorClass;
    }

    QmpException(String errorClass, String message, Throwable cause) {
        super(message, cause);
        this.errorClass = errorClass;
    }

    String errorClass() {
        return errorClass;
    }

    boolean isClosed() {
        return "Closed".equals(errorClass);
    }
}
