package net.vnsnap.am.snapshot;

import net.vnsnap.am.catalog.SliceSnapshotState;

/**
 * How far a slice snapshot has got, summed over its hosts.
 *
 * @param snapshotId    the snapshot
 * @param state         its state
 * @param bytesWritten  memory and disk bytes written so far on all hosts
 * @param bytesExpected the hosts' estimate of the total, 0 while unknown
 */
public record SliceProgress(String snapshotId, SliceSnapshotState state, long bytesWritten, long bytesExpected) {

    /** Percent of the expected bytes written: 100 once COMPLETE, 0 while nothing is known. */
    public double percent() {
        if (state == SliceSnapshotState.COMPLETE) {
            return 100.0;
        }
        if (bytesExpected <= 0) {
            return 0.0;
        }
        return Math.min(100.0, 100.0 * bytesWritten / bytesExpected);
    }
}
