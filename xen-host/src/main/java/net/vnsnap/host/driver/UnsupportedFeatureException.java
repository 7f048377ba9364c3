package net.vnsnap.host.driver;

/** The driver does not implement an optional operation (for example updating a guest's users). */
public class UnsupportedFeatureException extends DriverException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFeatureException(String message) {
        super(message);
    }
}
