package net.vnsnap.certs.urn;

/** A text that is not a valid GENI URN, with the reason. */
public final class InvalidUrnException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidUrnException(String message) {
        super(message);
    }
}
