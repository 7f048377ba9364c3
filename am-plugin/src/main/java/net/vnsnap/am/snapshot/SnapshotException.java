package net.vnsnap.am.snapshot;

import net.vnsnap.certs.GeniException;

/** A coordinator call that failed; its geni_code and message come from the {@link SnapshotError} it carries. */
public final class SnapshotException extends GeniException {
    private static final long serialVersionUID = 1L;

    private final transient SnapshotError error;

    public SnapshotException(SnapshotError error) {
        super(error.failure().code(), error.message());
        this.error = error;
    }

    public SnapshotException(SnapshotError error, Throwable cause) {
        super(error.failure().code(), error.message(), cause);
        this.error = error;
    }

    public SnapshotError error() {
        return error;
    }

    public SnapshotFailure failure() {
        return error.failure();
    }
}
