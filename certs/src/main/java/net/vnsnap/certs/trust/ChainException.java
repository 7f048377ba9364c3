package net.vnsnap.certs.trust;

/** A certificate that does not chain to a trusted root at the time asked about, with the reason. */
public final class ChainException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the chain failed; callers map these to GENI codes. */
    public enum Reason {
        /** No path from the certificate to a trusted root. */
        UNTRUSTED,
        /** An issuer on the path is not a CA (basicConstraints CA:FALSE or absent). */
        ISSUER_NOT_CA,
        /** A certificate on the path is past its notAfter. */
        EXPIRED,
        /** A certificate on the path is before its notBefore. */
        NOT_YET_VALID
    }

    private final Reason reason;

    public ChainException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
