package net.vnsnap.am.snapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.host.api.VmCut;

/** The AM's view of one running slice snapshot: its latest catalog record, byte progress and final outcome. */
public final class SnapshotHandle {

    private final String snapshotId;
    private final String slice;
    private final int epoch;
    /** The last record the coordinator stored; replaced whole, so readers never see a half-updated one. */
    private volatile SliceSnapshotRecord record;
    /** Host progress summed over hosts; the pair is replaced whole for the same reason. */
    private volatile long[] bytes = {0, 0};
    private volatile SnapshotError error;
    /** Each host's cuts with their phase timings, kept only in memory (the catalog keeps cut and downtime); set once taken. */
    private volatile Map<String, List<VmCut>> hostCuts = Map.of();
    /** The common cut instant the hosts were given, null for live snapshots (each VM cuts at its own convergence). */
    private volatile Instant plannedCut;
    private final CompletableFuture<SliceSnapshotRecord> done = new CompletableFuture<>();

    SnapshotHandle(SliceSnapshotRecord first) {
        this.snapshotId = first.id();
        this.slice = first.slice();
        this.epoch = first.epoch();
        this.record = first;
    }

    public String snapshotId() {
        return snapshotId;
    }

    public String slice() {
        return slice;
    }

    public int epoch() {
        return epoch;
    }

    public SliceSnapshotState state() {
        return record.state();
    }

    /** The latest catalog record of this snapshot. */
    public SliceSnapshotRecord record() {
        return record;
    }

    public SliceProgress progress() {
        long[] b = bytes;
        return new SliceProgress(snapshotId, record.state(), b[0], b[1]);
    }

    /** Every host's cuts with their step timings (host id to cuts), once every host took its part; empty before. */
    public Map<String, List<VmCut>> hostCuts() {
        return hostCuts;
    }

    /** The common cut instant sent to the hosts; empty before the take and for live snapshots. */
    public Optional<Instant> plannedCut() {
        return Optional.ofNullable(plannedCut);
    }

    /** Why it failed, once FAILED. */
    public Optional<SnapshotError> failure() {
        return Optional.ofNullable(error);
    }

    /**
     * Completes with the final record (COMPLETE or FAILED); completes exceptionally only when the coordinator was
     * closed before the outcome was known, in which case the next start's {@code resolveAfterRestart} decides it.
     */
    public CompletableFuture<SliceSnapshotRecord> completion() {
        return done.copy();
    }

    /** Waits for the outcome. */
    public SliceSnapshotRecord await(Duration timeout) throws InterruptedException, TimeoutException, ExecutionException {
        return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---- written by the coordinator ----

    void stored(SliceSnapshotRecord r) {
        record = r;
    }

    void bytes(long written, long expected) {
        bytes = new long[] {written, expected};
    }

    void taken(Instant cut, Map<String, List<VmCut>> byHost) {
        Map<String, List<VmCut>> copy = new LinkedHashMap<>();
        byHost.forEach((h, cs) -> copy.put(h, List.copyOf(cs)));
        plannedCut = cut;
        hostCuts = java.util.Collections.unmodifiableMap(copy);
    }

    void finish(SliceSnapshotRecord r, SnapshotError e) {
        record = r;
        error = e;
        if (r.state() == SliceSnapshotState.COMPLETE) {
            long[] b = bytes;
            bytes = new long[] {Math.max(b[0], r.totalBytes()), Math.max(b[1], r.totalBytes())};
        }
        done.complete(r);
    }

    void abandon(String why) {
        done.completeExceptionally(new CancellationException(why));
    }
}
