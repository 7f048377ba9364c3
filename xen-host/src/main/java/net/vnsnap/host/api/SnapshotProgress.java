package net.vnsnap.host.api;

/**
 * How far a snapshot has got on one host.
 *
 * @param snapshotId    the snapshot
 * @param phase         "prepared", "taking", "taken", "committed", "aborted"
 * @param bytesWritten  memory and disk bytes written so far
 * @param bytesExpected the estimate of the total (RAM plus disk), 0 when unknown
 */
public record SnapshotProgress(String snapshotId, String phase, long bytesWritten, long bytesExpected) {
}
