package net.vnsnap.am.snapshot;

import net.vnsnap.am.catalog.SliceSnapshotState;

/**
 * How {@link SnapshotCoordinator#resolveAfterRestart} settled one snapshot an earlier run left unfinished.
 *
 * @param snapshotId the snapshot
 * @param found      the state the catalog had
 * @param outcome    COMPLETE when every host had committed it, FAILED otherwise
 * @param reason     why, naming the hosts that had not committed
 */
public record Resolution(String snapshotId, SliceSnapshotState found, SliceSnapshotState outcome, String reason) {
}
