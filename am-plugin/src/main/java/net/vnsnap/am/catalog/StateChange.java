package net.vnsnap.am.catalog;

import java.time.Instant;

/** One entry of a snapshot's state history: the state it entered and when, with the failure reason for FAILED. */
public record StateChange(SliceSnapshotState state, Instant at, String reason) {
}
