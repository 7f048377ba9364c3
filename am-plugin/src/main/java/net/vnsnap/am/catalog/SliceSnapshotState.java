package net.vnsnap.am.catalog;

import java.util.EnumSet;
import java.util.Set;

/** Where a slice snapshot is in its life; the catalog refuses any move the table in {@link #canMoveTo} does not allow. */
public enum SliceSnapshotState {
    /** Recorded, epoch allocated; hosts are being asked whether they can take it. */
    PREPARING,
    /** Every host voted ready; hosts are cutting and writing images. */
    TAKING,
    /** Every host took its part; hosts are making it durable. */
    COMMITTING,
    /** Every host committed: the snapshot can be restored. */
    COMPLETE,
    /** Aborted on every host it could reach; the failure reason says why and where. */
    FAILED,
    /** Its files were deleted on every host. */
    DELETED;

    /** True for the states no snapshot leaves except by deletion. */
    public boolean finished() {
        return this == COMPLETE || this == FAILED || this == DELETED;
    }

    /** True while the coordinator (or, after a crash, {@code resolveAfterRestart}) still owes the snapshot an outcome. */
    public boolean inProgress() {
        return !finished();
    }

    /** The states a snapshot may move to from this one. */
    public Set<SliceSnapshotState> successors() {
        return switch (this) {
            case PREPARING -> EnumSet.of(TAKING, FAILED);
            case TAKING -> EnumSet.of(COMMITTING, FAILED);
            case COMMITTING -> EnumSet.of(COMPLETE, FAILED);
            case COMPLETE, FAILED -> EnumSet.of(DELETED);
            case DELETED -> EnumSet.noneOf(SliceSnapshotState.class);
        };
    }

    public boolean canMoveTo(SliceSnapshotState next) {
        return successors().contains(next);
    }
}
