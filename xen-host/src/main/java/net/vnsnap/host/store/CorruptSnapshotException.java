package net.vnsnap.host.store;

/** A stored snapshot failed verification (checksum, size, or manifest self-check); it must not be restored. */
public class CorruptSnapshotException extends StoreException {
    private static final long serialVersionUID = 1L;

    public CorruptSnapshotException(String message) {
        super(message);
    }

    public CorruptSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
