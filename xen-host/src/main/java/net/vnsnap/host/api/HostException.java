package net.vnsnap.host.api;

/** A host-agent call that failed, with a reason the coordinator can act on and a message that names the VM or snapshot. */
public final class HostException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a host call failed. */
    public enum Reason {
        /** The request itself is wrong (bad name, unknown image, malformed spec). */
        BAD_REQUEST,
        NO_SUCH_VM,
        NO_SUCH_SNAPSHOT,
        /** A VM or segment of that name exists with other settings. */
        CONFLICT,
        /** The hypervisor cannot take this mode consistently here (e.g. live pre-copy on old QEMU under TCG). */
        UNSUPPORTED_MODE,
        /** Not enough free space for the snapshot's images. */
        INSUFFICIENT_STORAGE,
        SNAPSHOT_FAILED,
        RESTORE_FAILED,
        /** A stored image does not match its checksum. */
        CORRUPT_SNAPSHOT,
        /** The host agent could not be reached or did not answer in time. */
        UNREACHABLE,
        /** The host agent refused the caller's identity. */
        FORBIDDEN,
        INTERNAL
    }

    private final Reason reason;

    public HostException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HostException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
