package net.vnsnap.host.driver;

/** The driver manages no VM of that name. */
public class NoSuchVmException extends DriverException {
    private static final long serialVersionUID = 1L;

    public NoSuchVmException(String name) {
        super("no VM named '" + name + "' on this host");
    }
}
