package net.vnsnap.certs.credential;

import net.vnsnap.certs.GeniException;

/** A refused credential: the reason (which fixes the geni_code) and a message a person can act on. */
public final class CredentialException extends GeniException {
    private static final long serialVersionUID = 1L;

    private final CredentialFailure reason;

    public CredentialException(CredentialFailure reason, String message) {
        super(reason.code(), message);
        this.reason = reason;
    }

    public CredentialException(CredentialFailure reason, String message, Throwable cause) {
        super(reason.code(), message, cause);
        this.reason = reason;
    }

    public CredentialFailure reason() {
        return reason;
    }
}
