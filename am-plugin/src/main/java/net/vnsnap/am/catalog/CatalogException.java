package net.vnsnap.am.catalog;

/** A catalog call that failed, with a reason callers can act on. */
public final class CatalogException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a catalog call failed. */
    public enum Reason {
        NOT_FOUND,
        ALREADY_EXISTS,
        /** The record changed since the caller read it (compare-and-set on the version failed). */
        VERSION_CONFLICT,
        /** The state change is not allowed by {@link SliceSnapshotState#canMoveTo}. */
        ILLEGAL_TRANSITION,
        /** The store was written by a newer schema than this code knows. */
        SCHEMA_TOO_NEW,
        /** The underlying store failed (I/O, SQL) or is closed. */
        STORAGE
    }

    private final Reason reason;

    public CatalogException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CatalogException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
