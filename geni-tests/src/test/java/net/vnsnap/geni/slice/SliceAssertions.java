package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.driver.VmState;

/** Checks shared by the failure suites: a VM is running and its workload counter still advances, nothing half-made is left. */
final class SliceAssertions {

    private SliceAssertions() {
    }

    /** Waits for the handle to reach {@code state} (or pass it), polling; fails after {@code timeout}. */
    static void awaitState(SnapshotHandle h, SliceSnapshotState state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (h.state() != state) {
            if (h.completion().isDone() || System.nanoTime() > deadline) {
                throw new AssertionError("snapshot " + h.snapshotId() + " never reached " + state + "; it is " + h.state()
                        + " " + h.failure());
            }
            Thread.sleep(5);
        }
    }

    /** The VM runs on its host and the counter its workload logs with {@code counter} grows within {@code within}. */
    static void assertRunningAndAdvancing(HostAgent host, String vm, GuestConsole console, Pattern counter, Duration within)
            throws Exception {
        assertEquals(VmState.RUNNING, host.vm(vm).state(), vm + " runs");
        long before = console.last(counter, 0).map(m -> Long.parseLong(m.group(1))).orElseThrow(
                () -> new AssertionError(vm + " never logged " + counter));
        console.await(counter, 0, before + 5, within);
    }

    /** No snapshot of the slice is COMPLETE in the catalog. */
    static void assertNoneComplete(SnapshotCoordinator c, String slice) throws Exception {
        List<SliceSnapshotRecord> all = c.snapshots(slice);
        assertTrue(all.stream().noneMatch(r -> r.state() == SliceSnapshotState.COMPLETE), all.toString());
    }

    /** Nothing of the snapshot is left in a host's store directory (neither the committed nor the partial directory). */
    static void assertStoreHasNo(Path store, String snapshotId) throws Exception {
        if (!Files.isDirectory(store)) {
            return;
        }
        try (Stream<Path> s = Files.list(store)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().startsWith(snapshotId)).toList();
            assertEquals(List.of(), left, "files of " + snapshotId + " left in " + store);
        }
    }
}
