package net.vnsnap.host.driver;

/** A snapshot could not be loaded into a new VM; the half-restored VM has been destroyed. */
public class RestoreFailedException extends DriverException {
    private static final long serialVersionUID = 1L;

    public RestoreFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
