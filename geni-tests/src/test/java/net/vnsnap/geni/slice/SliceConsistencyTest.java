package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** A coordinated snapshot of a live three-VM, two-host slice restores to a consistent cut: UDP and TCP across hosts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SliceConsistencyTest {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path tmp;
    private TwoHostTestbed bed;
    private SqliteSnapshotCatalog catalog;
    private SnapshotCoordinator coordinator;
    private ThreeVmSlice slice;

    @BeforeAll
    void bootSlice() throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed: run bin/lib/install-qemu.sh");
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of());
        catalog = SqliteSnapshotCatalog.open(tmp.resolve("catalog.db"));
        coordinator = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        slice = ThreeVmSlice.create(bed, "consistency", 401, ColourPolicy.HOLD_AND_RECORD, ThreeVmSlice.Workload.DEFAULT);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    @Test
    @Order(1)
    void udpBothWaysAcrossHostsHasNoOrphanLossOrDuplicateAcrossACowSnapshot() throws Exception {
        SliceCycle cy = SliceCycle.run(slice, coordinator, SnapshotMode.COW, Duration.ofSeconds(3));

        // The live run itself lost nothing while the snapshot was taken: post-cut frames were held, not dropped.
        for (String rx : List.of("vm1", "vm3")) {
            List<String> gaps = cy.original().get(rx).lines(cy.before().get(rx)).stream()
                    .filter(l -> l.contains("udp-gap")).toList();
            assertEquals(List.of(), gaps, rx + " saw gaps in the live run during the snapshot");
        }
        assertEquals(0, cy.record().framesDropped(), "HOLD_AND_RECORD drops nothing at this rate");

        Consistency.Udp toVm3 = Consistency.udp("vm1->vm3", cy.original().get("vm1"), slice.console("vm1"), slice.console("vm3"), WAIT);
        Consistency.Udp toVm1 = Consistency.udp("vm3->vm1", cy.original().get("vm3"), slice.console("vm3"), slice.console("vm1"), WAIT);
        assertEquals(List.of(), toVm3.violations(), toVm3.toString());
        assertEquals(List.of(), toVm1.violations(), toVm1.toString());
        // The restored receivers read past where the restored senders started: traffic really crossed the cut.
        assertTrue(toVm3.lastRx() >= toVm3.firstTx() + 20 && toVm1.lastRx() >= toVm1.firstTx() + 20, toVm3 + " " + toVm1);
        System.out.printf("udp cow: %s%n     %s%n     frames held=%d recorded=%d skew=%s%n", toVm3, toVm1,
                cy.record().framesHeld(), cy.record().framesRecorded(), cy.record().cutSkew());
    }

    @Test
    @Order(2)
    void tcpStreamKeepsFlowingDuringTheSnapshotAndResumesWithoutGapOrChecksumError() throws Exception {
        SliceCycle cy = SliceCycle.run(slice, coordinator, SnapshotMode.COW, Duration.ofSeconds(3));
        GuestConsole origRx = cy.original().get("vm3");
        // Records arrived while the snapshot was being taken (start to COMPLETE), not only after it.
        long during = origRx.lines(cy.before().get("vm3"), cy.atComplete().get("vm3")).stream()
                .filter(l -> ThreeVmSlice.TCP_RX.matcher(l).find()).count();
        assertTrue(during >= 1, "no TCP checksum line was logged while the snapshot was taken (" + cy.takeTime() + ")");
        // The original run across the snapshot has no gap and matching checksums.
        Consistency.Tcp live = Consistency.tcp(cy.original().get("vm2"), cy.before().get("vm2"), origRx, cy.before().get("vm3"),
                slice.work.tcpEvery(), WAIT);
        assertEquals(List.of(), live.violations(), "original run across the snapshot: " + live);

        Consistency.Tcp restored = Consistency.tcp(slice.console("vm2"), 0, slice.console("vm3"), 0, slice.work.tcpEvery(), WAIT);
        assertEquals(List.of(), restored.violations(), "restored run: " + restored);
        assertTrue(restored.sumsCompared() >= 3, restored.toString());
        System.out.printf("tcp cow: live %s%n     restored %s%n", live, restored);
    }

    @Test
    @Order(3)
    void stopModeRestoreIsConsistent() throws Exception {
        checkRound(SnapshotMode.STOP);
    }

    @Test
    @Order(4)
    void liveModeRestoreIsConsistent() throws Exception {
        checkRound(SnapshotMode.LIVE);
    }

    private void checkRound(SnapshotMode mode) throws Exception {
        SliceCycle cy = SliceCycle.run(slice, coordinator, mode, Duration.ofSeconds(2));
        Consistency.Udp toVm3 = Consistency.udp("vm1->vm3", cy.original().get("vm1"), slice.console("vm1"), slice.console("vm3"), WAIT);
        Consistency.Udp toVm1 = Consistency.udp("vm3->vm1", cy.original().get("vm3"), slice.console("vm3"), slice.console("vm1"), WAIT);
        Consistency.Tcp tcp = Consistency.tcp(slice.console("vm2"), 0, slice.console("vm3"), 0, slice.work.tcpEvery(), WAIT);
        assertEquals(List.of(), toVm3.violations(), toVm3.toString());
        assertEquals(List.of(), toVm1.violations(), toVm1.toString());
        assertEquals(List.of(), tcp.violations(), tcp.toString());
        for (var vms : cy.restore().vmsByHost().values()) {
            vms.forEach(v -> assertEquals(VmState.RUNNING, v.state(), v.toString()));
        }
        System.out.printf("%s: %s%n     %s%n     %s%n     skew=%s%n", mode, toVm3, toVm1, tcp, cy.record().cutSkew());
    }
}
