package net.vnsnap.certs;

/** A failure that an AM answers with a specific geni_code and a message a person can act on. */
public class GeniException extends Exception {
    private static final long serialVersionUID = 1L;

    private final GeniCode code;

    public GeniException(GeniCode code, String message) {
        super(message);
        this.code = code;
    }

    public GeniException(GeniCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The geni_code this failure is answered with. */
    public GeniCode code() {
        return code;
    }
}
