package net.vnsnap.am.catalog;

import java.util.List;
import java.util.Optional;

/** The coordinator's durable memory of snapshot records, their state histories and each slice's last epoch, safe for many threads. */
public interface SnapshotCatalog extends AutoCloseable {

    /**
     * Allocates the slice's next epoch: one more than the larger of the last epoch handed out and
     * {@code floor}, stored before it is returned, so no epoch is ever handed out twice.
     */
    int nextEpoch(String slice, int floor) throws CatalogException;

    /** The last epoch handed out for the slice, 0 when none. */
    int lastEpoch(String slice) throws CatalogException;

    /** Stores a new record (its version is ignored and set to 1) and its first history entry. */
    SliceSnapshotRecord create(SliceSnapshotRecord record) throws CatalogException;

    Optional<SliceSnapshotRecord> get(String snapshotId) throws CatalogException;

    /** The slice's snapshots, oldest first, deleted ones included. */
    List<SliceSnapshotRecord> list(String slice) throws CatalogException;

    /** Every snapshot still PREPARING, TAKING or COMMITTING, oldest first. */
    List<SliceSnapshotRecord> unfinished() throws CatalogException;

    /**
     * Replaces a record if the caller's version is the stored one (compare-and-set, as in a small coordination
     * store) and returns what was stored, with version + 1. A state change is checked against
     * {@link SliceSnapshotState#canMoveTo} and appended to the history in the same atomic step.
     */
    SliceSnapshotRecord update(SliceSnapshotRecord next) throws CatalogException;

    /** The states the snapshot entered, in order, starting with its first. */
    List<StateChange> history(String snapshotId) throws CatalogException;

    @Override
    void close() throws CatalogException;
}
