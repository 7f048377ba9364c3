package net.vnsnap.certs.x509;

/** A PEM text or file that does not hold the certificates or key it should. */
public final class CertificateReadException extends Exception {
    private static final long serialVersionUID = 1L;

    public CertificateReadException(String message) {
        super(message);
    }

    public CertificateReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
