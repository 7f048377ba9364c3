package net.vnsnap.am.snapshot;

import net.vnsnap.certs.GeniCode;

/** Every way a snapshot, restore or deletion can fail, each with the geni_code the AM answers with. */
public enum SnapshotFailure {
    /** The request is malformed (no VMs, a VM listed twice). */
    INVALID_REQUEST(GeniCode.BADARGS),
    /** No snapshot has that id. */
    UNKNOWN_SNAPSHOT(GeniCode.SEARCHFAILED),
    /** The snapshot exists but is not COMPLETE, so it cannot be restored. */
    NOT_RESTORABLE(GeniCode.BADARGS),
    /** Another snapshot, restore or deletion of the slice is running. */
    SLICE_BUSY(GeniCode.BUSY),
    /** A host voted "not ready" in phase one (storage, mode, unknown VM). */
    PREPARE_REFUSED(GeniCode.REFUSED),
    /** A host could not be reached or did not answer in time. */
    HOST_UNREACHABLE(GeniCode.UNAVAILABLE),
    /** A host's take failed, or returned without a VM's cut. */
    TAKE_FAILED(GeniCode.ERROR),
    /** The hosts did not finish taking within the coordinator's limit. */
    TIMED_OUT(GeniCode.TIMEDOUT),
    /** A host could not make its part durable. */
    COMMIT_FAILED(GeniCode.ERROR),
    /** A host could not restore its VMs. */
    RESTORE_FAILED(GeniCode.ERROR),
    /** Restored VMs were loaded but a host could not resume them. */
    RESUME_FAILED(GeniCode.ERROR),
    /** A restore placement names a host this AM does not know. */
    UNKNOWN_HOST(GeniCode.BADARGS),
    /** A restore placement moves a VM to a host with another hypervisor (or version) than the one it was snapshotted on. */
    HYPERVISOR_MISMATCH(GeniCode.REFUSED),
    /** A restore placement moves a VM to a host that cannot reach the VM's images (kernel, initrd, frozen disks). */
    IMAGES_UNREACHABLE(GeniCode.REFUSED),
    /** A restore placement puts more VMs on a host than its operator lets it run. */
    TARGET_FULL(GeniCode.REFUSED),
    /** Copying a VM's snapshot part to its new host failed (no room, damaged copy, a host refused). */
    IMPORT_FAILED(GeniCode.ERROR),
    /** A host could not delete its files. */
    DELETE_FAILED(GeniCode.ERROR),
    /** The AM stopped while the snapshot ran; recovery found it incomplete on some host. */
    COORDINATOR_RESTARTED(GeniCode.ERROR),
    /** The catalog could not record the outcome. */
    CATALOG_ERROR(GeniCode.DBERROR),
    /** The coordinator is closed. */
    SHUT_DOWN(GeniCode.UNAVAILABLE);

    private final GeniCode code;

    SnapshotFailure(GeniCode code) {
        this.code = code;
    }

    public GeniCode code() {
        return code;
    }
}
