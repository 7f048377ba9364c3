package net.vnsnap.host.driver;

/** A hypervisor operation failed; the message says what and why in terms an operator can act on. */
public class DriverException extends Exception {
    private static final long serialVersionUID = 1L;

    public DriverException(String message) {
        super(message);
    }

    public DriverException(String message, Throwable cause) {
        super(message, cause);
    }
}
