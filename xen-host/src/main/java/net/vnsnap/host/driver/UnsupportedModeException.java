package net.vnsnap.host.driver;

/** The requested snapshot mode cannot be taken consistently with this hypervisor on this host. */
public class UnsupportedModeException extends DriverException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModeException(String message) {
        super(message);
    }

    public UnsupportedModeException(String message, Throwable cause) {
        super(message, cause);
    }
}
