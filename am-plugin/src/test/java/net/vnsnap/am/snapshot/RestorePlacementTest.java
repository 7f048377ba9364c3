package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.testkit.FakeHost;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Restoring with some VMs on other hosts: validation before any change, the copy of parts, the network, and the resume skew. */
class RestorePlacementTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final SliceFixture f = new SliceFixture(new InMemorySnapshotCatalog());
    /** A third host with no VM of the slice. */
    private final FakeHost h3 = new FakeHost("h3", f.clock, 64 * SliceFixture.GIB);
    private final SnapshotCoordinator c;

    RestorePlacementTest() {
        f.coordinator.close();
        CoordinatorSettings s = CoordinatorSettings.defaults().withPollInterval(Duration.ofMillis(5))
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(30));
        c = new SnapshotCoordinator(f.clock, f.pool, HostDirectory.of(Map.of("h1", f.h1, "h2", f.h2, "h3", h3)), f.catalog,
                () -> "snap-" + f.ids.incrementAndGet(), s);
        f.coordinator = c;
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private SliceSnapshotRecord snapshot() throws Exception {
        SliceSnapshotRecord r = c.start(SliceFixture.request(SnapshotMode.COW)).await(WAIT);
        assertEquals(SliceSnapshotState.COMPLETE, r.state(), r.failure());
        return r;
    }

    @Test
    void aMovedVmIsCopiedConnectedAndRestoredOnItsTargetAndItsOriginalIsRemoved() throws Exception {
        SliceSnapshotRecord r = snapshot();
        // vm1 still runs on h1: the restore must not leave a second vm1 running there.
        RestoreReport rep = c.restore(r.id(), Map.of("vm1", "h3"));

        assertEquals(Map.of("vm1", "h3", "vm2", "h1", "vm3", "h2"), rep.placement());
        assertEquals(List.of("vm1"), h3.partVms(r.id()), "the part was imported under the same snapshot id");
        assertEquals(FakeHost.PART_IMAGE_BYTES + 0L, rep.copiedBytes() - partManifestBytes(h3, r.id()));
        assertEquals(2, h3.count(Op.WRITE_IMPORT) - 1, "the image took two chunks, the manifest one");
        assertFalse(f.h1.hasVm("vm1"), "the original vm1 on h1 was destroyed");
        assertEquals(VmState.RUNNING, h3.state("vm1"));
        assertEquals(rep.epoch(), h3.portEpoch("vm1"));
        assertEquals(VmState.RUNNING, f.h1.state("vm2"));
        assertEquals(VmState.RUNNING, f.h2.state("vm3"));
        assertEquals(List.of("vm2"), names(rep.vmsByHost().get("h1")));
        assertEquals(List.of("vm1"), names(rep.vmsByHost().get("h3")));
        // The link spans all three hosts now, with tunnels both ways.
        assertEquals(Set.of("lan0 h2:4789", "lan0 h3:4789"), f.h1.tunnels());
        assertEquals(Set.of("lan0 h1:4789", "lan0 h2:4789"), h3.tunnels());
        assertEquals(Set.of("lan0"), h3.segments());
        // All hosts resumed at the test clock's one instant: measured skew zero (not unknown).
        assertEquals(Duration.ZERO, rep.resumeSkew());
        assertTrue(rep.vmsByHost().values().stream().flatMap(List::stream).allMatch(v -> v.resumedAt() != null));

        // Again with the same placement: h3 holds the part already, nothing is copied, the copy on h3 is replaced.
        RestoreReport again = c.restore(r.id(), Map.of("vm1", "h3"));
        assertEquals(0, again.copiedBytes());
        assertEquals(VmState.RUNNING, h3.state("vm1"));
        // Back to the snapshot's placement: vm1 returns to h1 and the h3 copy goes.
        RestoreReport home = c.restore(r.id());
        assertEquals("h1", home.placement().get("vm1"));
        assertFalse(h3.hasVm("vm1"));
        assertEquals(VmState.RUNNING, f.h1.state("vm1"));
        // Deleting the snapshot also deletes the copy on h3, which the catalog does not list.
        c.delete(r.id());
        assertEquals(Set.of(), h3.snapshotFiles());
    }

    private static long partManifestBytes(FakeHost h, String id) throws Exception {
        return h.snapshotPart(id, "vm1").files().get(0).size();
    }

    private static List<String> names(List<VmInfo> vs) {
        return vs.stream().map(VmInfo::name).toList();
    }

    /** The placement is refused with {@code kind}; no VM, port epoch, import or epoch counter changed. */
    private void assertRefusedUnchanged(SliceSnapshotRecord r, Map<String, String> placement, SnapshotFailure kind) throws Exception {
        int epochBefore = f.catalog.lastEpoch(SliceFixture.SLICE);
        SnapshotException e = assertThrows(SnapshotException.class, () -> c.restore(r.id(), placement));
        assertEquals(kind, e.failure(), e.getMessage());
        assertEquals(epochBefore, f.catalog.lastEpoch(SliceFixture.SLICE), "no epoch was used");
        for (FakeHost h : List.of(f.h1, f.h2, h3)) {
            assertEquals(0, h.count(Op.RESTORE), h.hostId() + " restored");
            assertEquals(Set.of(), h.openImports(), h.hostId() + " kept an import open");
        }
        assertEquals(VmState.RUNNING, f.h1.state("vm1"));
        assertEquals(r.epoch(), f.h1.portEpoch("vm1"));
        assertFalse(h3.hasVm("vm1"));
    }

    @Test
    void placementsThatCannotWorkAreRefusedBeforeAnythingChanges() throws Exception {
        SliceSnapshotRecord r = snapshot();
        assertRefusedUnchanged(r, Map.of("vm9", "h3"), SnapshotFailure.INVALID_REQUEST);
        assertRefusedUnchanged(r, Map.of("vm1", "h7"), SnapshotFailure.UNKNOWN_HOST);
        SnapshotException unknown = assertThrows(SnapshotException.class, () -> c.restore(r.id(), Map.of("vm1", "h7")));
        assertEquals(GeniCode.BADARGS, unknown.code());
        assertTrue(unknown.getMessage().contains("h7") && unknown.getMessage().contains("vm1"), unknown.getMessage());

        h3.asHypervisor("xen", List.of("test"));
        assertRefusedUnchanged(r, Map.of("vm1", "h3"), SnapshotFailure.HYPERVISOR_MISMATCH);
        h3.asHypervisor("fake", List.of("test"));

        // h2 may run two VMs: vm3 stays and vm1 comes, fine; vm2 too would be one too many.
        f.h2.setMaxVms(2);
        assertRefusedUnchanged(r, Map.of("vm1", "h2", "vm2", "h2"), SnapshotFailure.TARGET_FULL);
        f.h2.setMaxVms(16);

        h3.setDown(true);
        assertRefusedUnchanged(r, Map.of("vm1", "h3"), SnapshotFailure.HOST_UNREACHABLE);
        h3.setDown(false);

        h3.imagesUnreachable();
        SnapshotException images = assertThrows(SnapshotException.class, () -> c.restore(r.id(), Map.of("vm1", "h3")));
        assertEquals(SnapshotFailure.IMAGES_UNREACHABLE, images.failure());
        assertEquals("h3", images.error().host());
        assertEquals("vm1", images.error().vm());
        assertTrue(images.getMessage().contains("/images/vm1"), images.getMessage());
        assertRefusedUnchanged(r, Map.of("vm1", "h3"), SnapshotFailure.IMAGES_UNREACHABLE);
    }

    @Test
    void aDamagedCopyFailsTheRestoreBeforeAnyVmIsTouched() throws Exception {
        SliceSnapshotRecord r = snapshot();
        h3.damageImports();
        assertRefusedUnchanged(r, Map.of("vm1", "h3"), SnapshotFailure.IMPORT_FAILED);
        assertEquals(List.of(), h3.partVms(r.id()));
        SnapshotException e = assertThrows(SnapshotException.class, () -> c.restore(r.id(), Map.of("vm1", "h3")));
        assertTrue(e.getMessage().contains("CORRUPT_SNAPSHOT") && e.getMessage().contains("vm1"), e.getMessage());
    }

    @Test
    void twoVmsMovedToTheHostOfTheThirdShareItsPart() throws Exception {
        SliceSnapshotRecord r = snapshot();
        for (String vm : List.of("vm1", "vm2")) {
            f.h1.destroyVm(vm);
        }
        f.h2.destroyVm("vm3");
        RestoreReport rep = c.restore(r.id(), Map.of("vm1", "h2", "vm2", "h2"));
        assertEquals(List.of("vm3", "vm1", "vm2"), f.h2.partVms(r.id()));
        assertEquals(Set.of("h2"), rep.vmsByHost().keySet(), "h1 restores nothing");
        assertEquals(0, f.h1.count(Op.RESTORE) + f.h1.count(Op.RESUME_RESTORED));
        assertEquals(Set.of(), f.h2.tunnels(), "one host: no tunnel needed");
        for (String vm : List.of("vm1", "vm2", "vm3")) {
            assertEquals(VmState.RUNNING, f.h2.state(vm));
        }
    }

    @Test
    void theResumeSkewIsTheSpreadOfMeasuredInstantsAndUnknownWhenOneIsMissing() {
        Instant t = Instant.parse("2026-11-26T15:00:00Z");
        VmInfo a = new VmInfo("a", "s", VmState.RUNNING, "x", "", null, t.plusMillis(3));
        VmInfo b = new VmInfo("b", "s", VmState.RUNNING, "x", "", null, t);
        VmInfo old = new VmInfo("c", "s", VmState.RUNNING, "x", "");
        assertEquals(Duration.ofMillis(3), SnapshotCoordinator.resumeSkew(List.of(List.of(a), List.of(b))));
        assertNull(SnapshotCoordinator.resumeSkew(List.of(List.of(a, b), List.of(old))), "a host that did not measure: unknown");
    }
}
