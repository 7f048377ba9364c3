package net.vnsnap.am.catalog;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * One snapshot of a whole slice as the catalog stores it.
 *
 * @param id             the snapshot id (the same on every host)
 * @param slice          the slice URN
 * @param label          the experimenter's label, "" when none
 * @param epoch          the epoch the slice's ports took at the cut
 * @param mode           how memory was captured
 * @param includeDisk    whether disk state was taken
 * @param state          where the snapshot is in its life
 * @param failure        why it failed, naming host and VM, "" unless FAILED (or a failed deletion attempt)
 * @param createdAt      when the snapshot was requested
 * @param stateSince     when it entered {@code state}
 * @param finishedAt     when it became COMPLETE or FAILED, null before
 * @param vms            the VMs, with their cuts once taken
 * @param cutSkew        latest minus earliest VM cut, null until taken
 * @param framesHeld     post-cut frames held back until their receiver's cut (sum over hosts)
 * @param framesRecorded in-flight frames stored as channel state
 * @param framesDropped  frames dropped by the colouring policy or a full buffer
 * @param totalBytes     bytes on disk over all hosts
 * @param version        compare-and-set version kept by the catalog
 */
public record SliceSnapshotRecord(String id, String slice, String label, int epoch, SnapshotMode mode, boolean includeDisk,
        SliceSnapshotState state, String failure, Instant createdAt, Instant stateSince, Instant finishedAt,
        List<VmEntry> vms, Duration cutSkew, long framesHeld, long framesRecorded, long framesDropped, long totalBytes,
        long version) {

    public SliceSnapshotRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(stateSince, "stateSince");
        label = label == null ? "" : label;
        failure = failure == null ? "" : failure;
        vms = List.copyOf(vms);
    }

    /** A new record in PREPARING with its VMs planned. */
    public static SliceSnapshotRecord preparing(String id, String slice, String label, int epoch, SnapshotMode mode,
            boolean includeDisk, Instant now, List<VmEntry> vms) {
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, SliceSnapshotState.PREPARING, "", now,
                now, null, vms, null, 0, 0, 0, 0, 0);
    }

    /** This record in a new state entered at {@code at}; COMPLETE and FAILED also set {@code finishedAt}. */
    public SliceSnapshotRecord withState(SliceSnapshotState next, Instant at) {
        Instant fin = (next == SliceSnapshotState.COMPLETE || next == SliceSnapshotState.FAILED) ? at : finishedAt;
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, next, failure, createdAt, at, fin, vms,
                cutSkew, framesHeld, framesRecorded, framesDropped, totalBytes, version);
    }

    /** This record FAILED at {@code at} for {@code reason}. */
    public SliceSnapshotRecord failed(String reason, Instant at) {
        return withState(SliceSnapshotState.FAILED, at).withFailure(reason);
    }

    public SliceSnapshotRecord withFailure(String reason) {
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, state, reason, createdAt, stateSince,
                finishedAt, vms, cutSkew, framesHeld, framesRecorded, framesDropped, totalBytes, version);
    }

    /** This record with the VMs' cuts and the resulting skew. */
    public SliceSnapshotRecord withCuts(List<VmEntry> cutVms, Duration skew) {
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, state, failure, createdAt, stateSince,
                finishedAt, cutVms, skew, framesHeld, framesRecorded, framesDropped, totalBytes, version);
    }

    /** This record with the totals the hosts reported at commit. */
    public SliceSnapshotRecord withTotals(long bytes, long held, long recorded, long dropped) {
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, state, failure, createdAt, stateSince,
                finishedAt, vms, cutSkew, held, recorded, dropped, bytes, version);
    }

    /** Used by catalogs to stamp the stored version. */
    public SliceSnapshotRecord withVersion(long v) {
        return new SliceSnapshotRecord(id, slice, label, epoch, mode, includeDisk, state, failure, createdAt, stateSince,
                finishedAt, vms, cutSkew, framesHeld, framesRecorded, framesDropped, totalBytes, v);
    }

    /** The hosts holding a part of this snapshot, sorted. */
    public Set<String> hosts() {
        Set<String> h = new TreeSet<>();
        for (VmEntry v : vms) {
            h.add(v.host());
        }
        return h;
    }

    /** The VMs this snapshot has on one host, in record order. */
    public List<String> vmsOn(String host) {
        return vms.stream().filter(v -> v.host().equals(host)).map(VmEntry::vm).toList();
    }
}
