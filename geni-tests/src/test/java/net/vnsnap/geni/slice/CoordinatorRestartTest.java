package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.Resolution;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator and its SQLite catalog are closed after one snapshot and during another, then reopened: recovery
 * keeps the finished one COMPLETE and restorable and resolves the interrupted one as FAILED on every host.
 */
class CoordinatorRestartTest {

    @TempDir
    Path tmp;
    private TwoHostTestbed bed;
    /** The catalog open now (the first is closed mid-test, the second replaces it). */
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
    void aRestartDuringAndAfterSnapshotsLeavesTheCatalogRight() throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of());
        Path db = tmp.resolve("catalog.db");
        catalog = SqliteSnapshotCatalog.open(db);
        SnapshotCoordinator first = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        ThreeVmSlice slice = ThreeVmSlice.create(bed, "restart", 406, ColourPolicy.HOLD_AND_RECORD, ThreeVmSlice.Workload.DEFAULT);

        SliceSnapshotRecord done = first.start(new SliceSnapshotRequest(slice.slice, SnapshotMode.COW, false, "done",
                ThreeVmSlice.PLACEMENT)).await(Duration.ofMinutes(3));
        assertEquals(SliceSnapshotState.COMPLETE, done.state(), done.failure());
        Map<String, GuestConsole> atDone = slice.consoles();

        SnapshotHandle cut = first.start(new SliceSnapshotRequest(slice.slice, SnapshotMode.COW, false, "interrupted",
                ThreeVmSlice.PLACEMENT));
        SliceAssertions.awaitState(cut, SliceSnapshotState.TAKING, Duration.ofSeconds(60));
        first.close();
        catalog.close();
        catalog = null;

        catalog = SqliteSnapshotCatalog.open(db);
        SnapshotCoordinator second = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        assertEquals(SliceSnapshotState.TAKING, second.snapshot(cut.snapshotId()).state(), "the closed coordinator decided nothing");
        assertTrue(second.handle(cut.snapshotId()).isEmpty(), "the new coordinator is not driving it");
        List<Resolution> resolved = second.resolveAfterRestart();
        assertEquals(1, resolved.size(), resolved.toString());
        Resolution r = resolved.get(0);
        assertEquals(cut.snapshotId(), r.snapshotId());
        assertEquals(SliceSnapshotState.FAILED, r.outcome(), r.toString());
        SliceSnapshotRecord interrupted = second.snapshot(cut.snapshotId());
        assertEquals(SliceSnapshotState.FAILED, interrupted.state());
        assertTrue(interrupted.failure().contains("COORDINATOR_RESTARTED"), interrupted.failure());
        assertEquals(SliceSnapshotState.COMPLETE, second.snapshot(done.id()).state());

        // The hosts agree: each holds the finished snapshot, neither holds the interrupted one, and every VM runs.
        for (String host : TwoHostTestbed.HOSTS) {
            List<String> held = bed.agent(host).snapshots().stream().map(HostSnapshot::snapshotId).toList();
            assertEquals(List.of(done.id()), held, host);
            SliceAssertions.assertStoreHasNo(tmp.resolve("bed/" + host + "/store"), cut.snapshotId());
        }
        SliceAssertions.assertRunningAndAdvancing(bed.agent("hostd1"), "vm1", slice.console("vm1"), ThreeVmSlice.UDP_TX, Duration.ofSeconds(60));
        SliceAssertions.assertRunningAndAdvancing(bed.agent("hostd2"), "vm3", slice.console("vm3"), ThreeVmSlice.UDP_TX, Duration.ofSeconds(60));

        // The finished snapshot restores through the new coordinator, consistently.
        slice.destroyAll();
        RestoreReport rr = second.restore(done.id());
        slice.adopt(rr);
        assertTrue(rr.epoch() > interrupted.epoch(), "the restore's epoch is above every epoch used: " + rr);
        Consistency.Udp toVm3 = Consistency.udp("vm1->vm3", atDone.get("vm1"), slice.console("vm1"), slice.console("vm3"), Duration.ofSeconds(120));
        assertEquals(List.of(), toVm3.violations(), toVm3.toString());
        System.out.println("restart: " + r + " restored in epoch " + rr.epoch() + " " + toVm3);
    }
}
