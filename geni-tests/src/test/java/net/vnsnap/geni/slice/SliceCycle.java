package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * One snapshot-and-restore round of a running slice through the coordinator, as an experimenter does it: snapshot,
 * let the slice run on, destroy every VM, restore, resume; keeps what the checks and the benchmark need.
 *
 * @param record       the catalog record once COMPLETE
 * @param original     the consoles of the VMs that were snapshotted (destroyed since)
 * @param before       their console lengths just before the snapshot started
 * @param atComplete   their console lengths when the snapshot was COMPLETE
 * @param takeTime     from start to COMPLETE
 * @param restore      what the restore reported
 */
record SliceCycle(SliceSnapshotRecord record, Map<String, GuestConsole> original, Map<String, Long> before,
        Map<String, Long> atComplete, Duration takeTime, RestoreReport restore) {

    static final Duration TAKE_WAIT = Duration.ofMinutes(3);

    /** Runs a round; {@code runOn} is how long the slice keeps running between COMPLETE and the destruction. */
    static SliceCycle run(ThreeVmSlice slice, SnapshotCoordinator c, SnapshotMode mode, Duration runOn) throws Exception {
        return run(slice, c, mode, runOn, Map.of());
    }

    /** A round whose restore runs the VMs named in {@code moves} on the given hosts (VM name to host id). */
    static SliceCycle run(ThreeVmSlice slice, SnapshotCoordinator c, SnapshotMode mode, Duration runOn, Map<String, String> moves)
            throws Exception {
        Map<String, GuestConsole> original = slice.consoles();
        Map<String, Long> before = slice.offsets();
        Instant t0 = Instant.now();
        SnapshotHandle h = c.start(new SliceSnapshotRequest(slice.slice, mode, false, "slicetest-" + mode, slice.placement()));
        SliceSnapshotRecord rec = h.await(TAKE_WAIT);
        Duration took = Duration.between(t0, Instant.now());
        assertEquals(SliceSnapshotState.COMPLETE, rec.state(), () -> "snapshot failed: " + h.failure());
        Map<String, Long> atComplete = slice.offsets();
        Thread.sleep(runOn.toMillis());
        slice.destroyAll();
        RestoreReport r = c.restore(rec.id(), moves);
        slice.adopt(r);
        return new SliceCycle(rec, original, before, atComplete, took, r);
    }
}
