package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.VmInfo;
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

/**
 * A live three-VM slice snapshotted, destroyed and restored with a VM on the other hostd process (its part copied between
 * the two hosts' stores over their TLS channels): UDP and TCP across the cut stay consistent, and the resume skew is measured.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SliceMoveTest {

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
        slice = ThreeVmSlice.create(bed, "move", 421, ColourPolicy.HOLD_AND_RECORD, ThreeVmSlice.Workload.DEFAULT);
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
    void vm1MovedToTheOtherHostResumesConsistentlyWithTheSlice() throws Exception {
        SliceCycle cy = SliceCycle.run(slice, coordinator, SnapshotMode.COW, Duration.ofSeconds(3), Map.of("vm1", "hostd2"));
        RestoreReport r = cy.restore();
        assertEquals(Map.of("vm1", "hostd2", "vm2", "hostd1", "vm3", "hostd2"), r.placement());
        assertTrue(r.copiedBytes() > 0, "vm1's part was copied to hostd2");
        assertEquals(List.of("vm2"), names(bed.agent("hostd1").vms()), "nothing of vm1 is left on hostd1");
        assertEquals(List.of("vm3", "vm1"), names(bed.agent("hostd2").vms()));
        checkConsistent(cy, "moved vm1");
    }

    @Test
    @Order(2)
    void vm1ReturnsWhileVm2MovesTheOtherWay() throws Exception {
        // vm1 is on hostd2 now and the snapshot records that; the restore moves it back while vm2 crosses to hostd2,
        // so both hosts import a part at once (each hostd runs at most two VMs).
        SliceCycle cy = SliceCycle.run(slice, coordinator, SnapshotMode.STOP, Duration.ofSeconds(2),
                Map.of("vm1", "hostd1", "vm2", "hostd2"));
        RestoreReport r = cy.restore();
        assertEquals(Map.of("vm1", "hostd1", "vm2", "hostd2", "vm3", "hostd2"), r.placement());
        assertEquals(List.of("vm1"), names(bed.agent("hostd1").vms()));
        checkConsistent(cy, "vm1 back, vm2 across");
    }

    private void checkConsistent(SliceCycle cy, String what) throws Exception {
        RestoreReport r = cy.restore();
        for (List<VmInfo> vms : r.vmsByHost().values()) {
            for (VmInfo v : vms) {
                assertEquals(VmState.RUNNING, v.state(), v.toString());
                assertNotNull(v.resumedAt(), v.name() + ": the host measured its resume instant");
            }
        }
        assertNotNull(r.resumeSkew(), "every host measured its VMs' resume instants");
        Consistency.Udp toVm3 = Consistency.udp("vm1->vm3", cy.original().get("vm1"), slice.console("vm1"), slice.console("vm3"), WAIT);
        Consistency.Udp toVm1 = Consistency.udp("vm3->vm1", cy.original().get("vm3"), slice.console("vm3"), slice.console("vm1"), WAIT);
        Consistency.Tcp tcp = Consistency.tcp(slice.console("vm2"), 0, slice.console("vm3"), 0, slice.work.tcpEvery(), WAIT);
        assertEquals(List.of(), toVm3.violations(), toVm3.toString());
        assertEquals(List.of(), toVm1.violations(), toVm1.toString());
        assertEquals(List.of(), tcp.violations(), tcp.toString());
        assertTrue(toVm3.lastRx() >= toVm3.firstTx() + 20 && toVm1.lastRx() >= toVm1.firstTx() + 20, toVm3 + " " + toVm1);
        System.out.printf("%s: %s%n     %s%n     %s%n     placement=%s copied=%d MiB restore=%s resume skew=%s (answers %s) "
                + "frames recorded=%d held=%d%n", what, toVm3, toVm1, tcp, r.placement(), r.copiedBytes() >> 20, r.duration(),
                r.resumeSkew(), r.resumeSpread(), cy.record().framesRecorded(), cy.record().framesHeld());
    }

    private static List<String> names(List<VmInfo> vms) {
        return vms.stream().map(VmInfo::name).toList();
    }
}
