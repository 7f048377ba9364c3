package net.vnsnap.am.catalog;

import java.util.List;
import java.util.Optional;

/**
 * The coordinator's durable memory: snapshot records with compare-and-set updates, their state history,
 * and each slice's last epoch. Every method is atomic and safe to call from many threads.
 *
 * <p>Versions work like a small coordination store's: {@link #create} stores version 1; {@link #update}
 * succeeds only when the caller's record carries the stored version, and stores it with version + 1.
 * A state change is checked against {@link SliceSnapshotState#canMoveTo} and appended to the history in
 * the same atomic step.
 */
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

    /** Replaces a record if its version is the stored one; returns what was stored (version + 1). */
    SliceSnapshotRecord update(SliceSnapshotRecord next) throws CatalogException;

    /** The states the snapshot entered, in order, starting with its first. */
    List<StateChange> history(String snapshotId) throws CatalogException;

    @Override
    void close() throws CatalogException;
}
