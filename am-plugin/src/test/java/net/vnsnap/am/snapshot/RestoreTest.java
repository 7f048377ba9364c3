package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Restoring a slice: load everywhere paused, resume everywhere at one instant, continue in a new epoch. */
class RestoreTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final SliceFixture f = new SliceFixture(new InMemorySnapshotCatalog());

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private SliceSnapshotRecord snapshot() throws Exception {
        SliceSnapshotRecord r = f.coordinator.start(SliceFixture.request(SnapshotMode.COW)).await(WAIT);
        assertEquals(SliceSnapshotState.COMPLETE, r.state(), r.failure());
        return r;
    }

    @Test
    void restoreLoadsOnEveryHostThenResumesAllAtOneInstantInANewEpoch() throws Exception {
        SliceSnapshotRecord first = snapshot();
        SliceSnapshotRecord second = snapshot();
        // The original VMs are gone.
        for (String vm : List.of("vm1", "vm2")) {
            f.h1.destroyVm(vm);
        }
        f.h2.destroyVm("vm3");
        f.clock.advance(Duration.ofMinutes(5));
        Instant asked = f.clock.instant();

        RestoreReport rep = f.coordinator.restore(first.id());

        // The new epoch is above every epoch the slice used, including the later snapshot's.
        assertEquals(first.epoch(), rep.snapshotEpoch());
        assertTrue(rep.epoch() > second.epoch(), rep.epoch() + " <= " + second.epoch());
        assertEquals(rep.epoch(), f.catalog.lastEpoch(SliceFixture.SLICE));
        assertEquals(List.of(rep.epoch()), f.h1.restoreEpochs());
        assertEquals(List.of(rep.epoch()), f.h2.restoreEpochs());
        // Every host restored before any host was asked to resume.
        assertEquals(List.of("restore " + first.id(), "resume_restored " + first.id()), f.h1.calls().stream()
                .filter(c -> c.startsWith("restore ") || c.startsWith("resume_restored ")).toList());
        assertEquals(List.of(rep.resumeAt()), f.h1.requestedResumes());
        assertEquals(List.of(rep.resumeAt()), f.h2.requestedResumes());
        assertEquals(asked.plus(CoordinatorSettings.defaults().minLead()), rep.resumeAt());
        for (String vm : List.of("vm1", "vm2")) {
            assertEquals(VmState.RUNNING, f.h1.state(vm));
            assertEquals(rep.epoch(), f.h1.portEpoch(vm));
        }
        assertEquals(VmState.RUNNING, f.h2.state("vm3"));
        assertEquals(List.of("vm1", "vm2"), rep.vmsByHost().get("h1").stream().map(VmInfo::name).toList());
        assertEquals(Duration.ZERO, rep.resumeSpread()); // the test clock does not move while hosts answer

        // The slice goes on in the new era: the next snapshot's epoch is above the restore's.
        SliceSnapshotRecord after = snapshot();
        assertTrue(after.epoch() > rep.epoch());
    }

    @Test
    void unknownSnapshotIsAClearError() {
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.restore("snap-does-not-exist"));
        assertEquals(SnapshotFailure.UNKNOWN_SNAPSHOT, e.failure());
        assertEquals(GeniCode.SEARCHFAILED, e.code());
        assertTrue(e.getMessage().contains("'snap-does-not-exist'"), e.getMessage());
        assertEquals(0, f.h1.count(Op.RESTORE));
    }

    @Test
    void failedOrDeletedSnapshotsAreNotRestorable() throws Exception {
        f.h2.setCapacity(0);
        SliceSnapshotRecord failed = f.coordinator.start(SliceFixture.request(SnapshotMode.COW)).await(WAIT);
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.restore(failed.id()));
        assertEquals(SnapshotFailure.NOT_RESTORABLE, e.failure());
        assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
        f.h2.setCapacity(1L << 40);
        SliceSnapshotRecord ok = snapshot();
        f.coordinator.delete(ok.id());
        assertEquals(SnapshotFailure.NOT_RESTORABLE, assertThrows(SnapshotException.class, () -> f.coordinator.restore(ok.id())).failure());
    }

    @Test
    void restoreFailureOnOneHostLeavesNoHalfRestoredSliceRunning() throws Exception {
        SliceSnapshotRecord r = snapshot();
        f.h2.failRestore();
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.restore(r.id()));
        assertEquals(SnapshotFailure.RESTORE_FAILED, e.failure());
        assertEquals("h2", e.error().host());
        assertEquals("vm3", e.error().vm());
        assertTrue(e.getMessage().contains("CORRUPT_SNAPSHOT"), e.getMessage());
        // h1 had loaded vm1 and vm2 paused: they are removed, and nobody was resumed.
        assertFalse(f.h1.hasVm("vm1"));
        assertFalse(f.h1.hasVm("vm2"));
        assertEquals(0, f.h1.count(Op.RESUME_RESTORED) + f.h2.count(Op.RESUME_RESTORED));
        // The snapshot itself is intact and the slice is free again: a retry runs (and meets the same fault).
        assertEquals(SliceSnapshotState.COMPLETE, f.catalog.get(r.id()).orElseThrow().state());
        assertEquals(SnapshotFailure.RESTORE_FAILED, assertThrows(SnapshotException.class, () -> f.coordinator.restore(r.id())).failure());
    }
}
