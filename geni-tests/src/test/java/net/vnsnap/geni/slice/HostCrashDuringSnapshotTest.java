package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotError;
import net.vnsnap.am.snapshot.SnapshotFailure;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL of one hostd while the slice is being snapshotted fails the snapshot cleanly and leaves the other host's VMs running. */
class HostCrashDuringSnapshotTest {

    @TempDir
    Path tmp;
    private TwoHostTestbed bed;
    private SqliteSnapshotCatalog catalog;

    @AfterEach
    void tearDown() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    @Test
    void killingOneHostdMidTakeFailsTheSnapshotNamingThatHost() throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of());
        catalog = SqliteSnapshotCatalog.open(tmp.resolve("catalog.db"));
        // A short call timeout: the dead host is noticed by a refused connection anyway, this only bounds the test.
        SnapshotCoordinator c = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        ThreeVmSlice slice = ThreeVmSlice.create(bed, "crash", 402, ColourPolicy.HOLD_AND_RECORD, ThreeVmSlice.Workload.DEFAULT);

        SnapshotHandle h = c.start(new SliceSnapshotRequest(slice.slice, SnapshotMode.COW, false, "crash", ThreeVmSlice.PLACEMENT));
        SliceAssertions.awaitState(h, SliceSnapshotState.TAKING, Duration.ofSeconds(60));
        // TAKING is entered before the cut instant is chosen (at least 200 ms ahead): 350 ms later hostd2 is mid-take.
        Thread.sleep(350);
        bed.daemon("hostd2").kill();
        assertFalse(bed.daemon("hostd2").isAlive());

        SliceSnapshotRecord rec = h.await(Duration.ofMinutes(3));
        assertEquals(SliceSnapshotState.FAILED, rec.state(), rec.toString());
        SnapshotError err = h.failure().orElseThrow();
        assertEquals("hostd2", err.host(), err.message());
        assertTrue(Set.of(SnapshotFailure.HOST_UNREACHABLE, SnapshotFailure.TAKE_FAILED).contains(err.failure()), err.message());
        assertTrue(rec.failure().contains("hostd2"), rec.failure());
        SliceAssertions.assertNoneComplete(c, slice.slice);
        assertEquals(SliceSnapshotState.FAILED, c.snapshot(h.snapshotId()).state(), "the catalog says FAILED too");

        // hostd1 aborted its part: nothing listed, nothing in its store, and both of its VMs run on.
        HostAgent h1 = bed.agent("hostd1");
        assertEquals(List.of(), h1.snapshots());
        SliceAssertions.assertStoreHasNo(tmp.resolve("bed/hostd1/store"), h.snapshotId());
        SliceAssertions.assertRunningAndAdvancing(h1, "vm1", slice.console("vm1"), ThreeVmSlice.UDP_TX, Duration.ofSeconds(60));
        SliceAssertions.assertRunningAndAdvancing(h1, "vm2", slice.console("vm2"), ThreeVmSlice.TCP_TX, Duration.ofSeconds(60));
        System.out.println("crash: " + err.failure() + ": " + rec.failure());
    }
}
