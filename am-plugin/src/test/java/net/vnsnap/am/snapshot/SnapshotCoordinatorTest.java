package net.vnsnap.am.snapshot;

import static net.vnsnap.am.snapshot.SliceFixture.GIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import net.vnsnap.am.catalog.StateChange;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.am.testkit.Gate;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Snapshots of a two-host slice through the coordinator: the happy paths, progress, and every injected failure. */
class SnapshotCoordinatorTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final SliceFixture f = new SliceFixture(new InMemorySnapshotCatalog());

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private SliceSnapshotRecord take(SnapshotMode mode) throws Exception {
        return f.coordinator.start(SliceFixture.request(mode)).await(WAIT);
    }

    private List<SliceSnapshotState> history(String id) throws Exception {
        return f.catalog.history(id).stream().map(StateChange::state).toList();
    }

    @Test
    void cowSnapshotCutsEveryVmAtOneCommonInstantAndCompletes() throws Exception {
        Instant chosenAt = f.clock.instant();
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);

        assertEquals(SliceSnapshotState.COMPLETE, r.state(), r.failure());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING,
                SliceSnapshotState.COMPLETE), history(r.id()));
        // One instant for both hosts, the minimum lead ahead (the fake answers in no time).
        Instant cutAt = chosenAt.plus(CoordinatorSettings.defaults().minLead());
        assertEquals(List.of(cutAt), f.h1.requestedCuts());
        assertEquals(List.of(cutAt), f.h2.requestedCuts());
        assertEquals(List.of(cutAt, cutAt, cutAt), r.vms().stream().map(VmEntry::cutAt).toList());
        assertEquals(Duration.ZERO, r.cutSkew());
        assertEquals(List.of("vm1", "vm2", "vm3"), r.vms().stream().map(VmEntry::vm).toList());
        assertEquals(List.of("h1", "h1", "h2"), r.vms().stream().map(VmEntry::host).toList());
        // The handle keeps what the hosts reported beyond the catalog's columns: the planned cut and each step's timing.
        assertEquals(java.util.Optional.of(cutAt), h.plannedCut());
        assertEquals(List.of("h1", "h2"), List.copyOf(h.hostCuts().keySet()));
        assertEquals(List.of("vm1", "vm2"), h.hostCuts().get("h1").stream().map(net.vnsnap.host.api.VmCut::vm).toList());
        assertEquals(Duration.ofMillis(5), h.hostCuts().get("h2").get(0).phases().get("pause"));
        assertEquals(4 * GIB + 10 * GIB, r.totalBytes()); // memory 1+2+1, disk 4+4+2
        assertEquals(3, r.framesHeld());
        assertEquals(6, r.framesRecorded());
        assertEquals(1, r.epoch());
        assertEquals(1, f.h1.portEpoch("vm1"));
        assertEquals(1, f.h2.portEpoch("vm3"));
        assertEquals(100.0, h.progress().percent());
        assertTrue(h.failure().isEmpty());
        assertEquals(r, f.catalog.get(r.id()).orElseThrow());
        assertEquals(List.of(), f.h1.pausedVms());
        assertEquals(0, f.h1.count(Op.ABORT) + f.h2.count(Op.ABORT));
    }

    @Test
    void everySnapshotGetsAHigherEpochThanTheLast() throws Exception {
        SliceSnapshotRecord a = take(SnapshotMode.COW);
        SliceSnapshotRecord b = take(SnapshotMode.STOP);
        f.h2.setCapacity(0);
        SliceSnapshotRecord failed = take(SnapshotMode.COW);
        f.h2.setCapacity(64 * GIB);
        SliceSnapshotRecord c = take(SnapshotMode.LIVE);
        assertEquals(List.of(1, 2, 3, 4), List.of(a.epoch(), b.epoch(), failed.epoch(), c.epoch()));
        assertEquals(SliceSnapshotState.FAILED, failed.state());
        assertEquals(4, f.catalog.lastEpoch(SliceFixture.SLICE));
        assertEquals(4, f.h1.portEpoch("vm2"));
    }

    @Test
    void liveModeTriggersEveryHostAtOnceAndReportsTheSkew() throws Exception {
        f.h1.liveCutDelay("vm2", Duration.ofMillis(30));
        f.h2.liveCutDelay("vm3", Duration.ofMillis(120));
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.LIVE));
        SliceSnapshotRecord r = h.await(WAIT);
        assertEquals(SliceSnapshotState.COMPLETE, r.state(), r.failure());
        assertEquals(List.of(Instant.EPOCH), f.h1.requestedCuts()); // the fake logs "now" (null) as EPOCH
        assertEquals(Duration.ofMillis(120), r.cutSkew());
        assertTrue(h.plannedCut().isEmpty(), "live snapshots have no common cut instant");
        assertEquals(3, h.hostCuts().values().stream().mapToInt(List::size).sum());
    }

    @Test
    void progressIsPolledFromTheHostsWhileTheyTake() throws Exception {
        Gate gate = f.h2.gateBefore(Op.TAKE);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        gate.awaitArrival();
        long deadline = System.nanoTime() + WAIT.toNanos();
        SliceProgress p = h.progress();
        while (p.bytesExpected() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
            p = h.progress();
        }
        assertEquals(SliceSnapshotState.TAKING, p.state());
        assertTrue(p.percent() > 0 && p.percent() < 100, "percent " + p.percent());
        assertEquals(p, f.coordinator.progress(h.snapshotId()));
        gate.release();
        assertEquals(SliceSnapshotState.COMPLETE, h.await(WAIT).state());
        assertEquals(100.0, f.coordinator.progress(h.snapshotId()).percent());
        assertTrue(f.h1.count(Op.PROGRESS) + f.h2.count(Op.PROGRESS) > 0);
    }

    @Test
    void aSliceTakesOneSnapshotAtATime() throws Exception {
        Gate gate = f.h1.gateBefore(Op.PREPARE);
        SnapshotHandle first = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        gate.awaitArrival();
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.start(SliceFixture.request(SnapshotMode.COW)));
        assertEquals(SnapshotFailure.SLICE_BUSY, e.failure());
        assertEquals(GeniCode.BUSY, e.code());
        assertTrue(e.getMessage().contains(first.snapshotId()), e.getMessage());
        assertEquals(SnapshotFailure.SLICE_BUSY, assertThrows(SnapshotException.class, () -> f.coordinator.delete(first.snapshotId())).failure());
        gate.release();
        assertEquals(SliceSnapshotState.COMPLETE, first.await(WAIT).state());
        assertEquals(SliceSnapshotState.COMPLETE, take(SnapshotMode.COW).state());
    }

    @Test
    void malformedRequestsAreRefusedBeforeAnythingIsRecorded() {
        SliceSnapshotRequest none = new SliceSnapshotRequest(SliceFixture.SLICE, SnapshotMode.COW, true, "", Map.of());
        SliceSnapshotRequest twice = new SliceSnapshotRequest(SliceFixture.SLICE, SnapshotMode.COW, true, "",
                Map.of("h1", List.of("vm1"), "h2", List.of("vm1")));
        for (SliceSnapshotRequest r : List.of(none, twice)) {
            SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.start(r));
            assertEquals(SnapshotFailure.INVALID_REQUEST, e.failure());
            assertEquals(GeniCode.BADARGS, e.code());
        }
        assertEquals(0, f.h1.calls().size());
    }

    // ---------------------------------------------------------------- failures

    /** What every failure must leave behind: FAILED in the catalog, aborted on both hosts, nothing paused or partial. */
    private SnapshotError assertFailedAndClean(SliceSnapshotRecord r, SnapshotHandle h) throws Exception {
        assertEquals(SliceSnapshotState.FAILED, r.state());
        assertEquals(SliceSnapshotState.FAILED, f.catalog.get(r.id()).orElseThrow().state());
        assertTrue(f.h1.count(Op.ABORT) >= 1, "h1 not aborted");
        assertTrue(f.h2.count(Op.ABORT) >= 1, "h2 not aborted");
        SnapshotError e = h.failure().orElseThrow();
        assertEquals(e.message(), r.failure());
        assertTrue(r.finishedAt() != null);
        return e;
    }

    @Test
    void prepareRefusedForLackOfSpaceAbortsEverywhereWithTheHostsReason() throws Exception {
        f.h2.setCapacity(2 * GIB);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        f.assertCleanEverywhere(r.id());
        assertEquals(SnapshotFailure.PREPARE_REFUSED, e.failure());
        assertEquals("h2", e.host());
        assertEquals("vm3", e.vm());
        assertTrue(e.detail().contains("needs " + 3 * GIB + " bytes"), e.detail());
        assertTrue(r.failure().startsWith("PREPARE_REFUSED on host h2, VM vm3: "), r.failure());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.FAILED), history(r.id()));
        assertEquals(0, f.h1.count(Op.TAKE) + f.h2.count(Op.TAKE));
    }

    @Test
    void refusalsFromSeveralHostsAreAllReported() throws Exception {
        f.h1.setCapacity(GIB);
        f.h2.setUnreachable(Op.PREPARE);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        assertFailedAndClean(r, h);
        assertTrue(r.failure().contains("host h1") && r.failure().contains("host h2"), r.failure());
    }

    @Test
    void hostUnreachableDuringTakeAbortsEverywhere() throws Exception {
        f.h2.loseTakeReply(); // h2 cuts and writes, then its reply is lost
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        f.assertCleanEverywhere(r.id());
        assertEquals(SnapshotFailure.HOST_UNREACHABLE, e.failure());
        assertEquals("h2", e.host());
        assertEquals("vm3", e.vm());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.FAILED), history(r.id()));
        assertEquals(0, f.h1.count(Op.COMMIT));
    }

    @Test
    void hostSilentBeforeTheCutFailsTheSnapshotBeforeAnyVmPauses() throws Exception {
        f.h2.setUnreachable(Op.INFO); // prepared fine, then stops answering before the cut instant is chosen
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        f.assertCleanEverywhere(r.id());
        assertEquals(SnapshotFailure.HOST_UNREACHABLE, e.failure());
        assertEquals("h2", e.host());
        assertEquals(0, f.h1.count(Op.TAKE) + f.h2.count(Op.TAKE));
    }

    @Test
    void takeFailureOfOneVmIsNamedAndAVmLeftPausedIsResumed() throws Exception {
        f.h1.failTake("vm2", true);        // the host breaks the contract: vm2 stays paused
        f.h1.setAbortResumesVms(false);    // ... and abort does not fix it, so the coordinator must
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.STOP));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        f.assertCleanEverywhere(r.id());
        assertEquals(SnapshotFailure.TAKE_FAILED, e.failure());
        assertEquals("h1", e.host());
        assertEquals("vm2", e.vm());
        assertTrue(f.h1.calls().contains("resume_vm vm2"), f.h1.calls().toString());
        assertEquals(VmState.RUNNING, f.h1.state("vm2"));
    }

    @Test
    void hostDyingBetweenTakeAndCommitFailsTheSnapshotAndADeleteFinishesTheCleanup() throws Exception {
        f.h2.dieAfterTake();
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        assertEquals(SnapshotFailure.HOST_UNREACHABLE, e.failure());
        assertEquals("h2", e.host());
        assertTrue(r.failure().contains("cleanup incomplete: host h2"), r.failure());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING,
                SliceSnapshotState.FAILED), history(r.id()));
        // h1 had committed its part: the cleanup deleted it. The dead host still holds its taken part.
        assertEquals(Set.of(), f.h1.snapshotFiles());
        assertEquals(List.of(), f.h1.pausedVms());
        assertEquals(Set.of(r.id()), f.h2.partialSnapshots());

        SnapshotException stillDown = assertThrows(SnapshotException.class, () -> f.coordinator.delete(r.id()));
        assertEquals(SnapshotFailure.DELETE_FAILED, stillDown.failure());
        assertEquals("h2", stillDown.error().host());
        assertEquals(SliceSnapshotState.FAILED, f.catalog.get(r.id()).orElseThrow().state());

        f.h2.setDown(false);
        assertEquals(SliceSnapshotState.DELETED, f.coordinator.delete(r.id()).state());
        f.assertCleanEverywhere(r.id());
    }

    @Test
    void takeThatOutlastsTheTakeTimeoutIsAbortedAsTimedOut() throws Exception {
        f.coordinator.close();
        f.coordinator = new SnapshotCoordinator(f.clock, f.pool, HostDirectory.of(Map.of("h1", f.h1, "h2", f.h2)), f.catalog,
                () -> "slow-" + f.ids.incrementAndGet(), CoordinatorSettings.defaults().withPollInterval(Duration.ofMillis(5))
                        .withTimeouts(Duration.ofSeconds(20), Duration.ofMillis(300)));
        Gate stuck = f.h2.gateBefore(Op.TAKE);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        SnapshotError e = assertFailedAndClean(r, h);
        assertEquals(SnapshotFailure.TIMED_OUT, e.failure());
        assertEquals(GeniCode.TIMEDOUT, e.failure().code());
        assertEquals("h2", e.host());
        f.assertCleanEverywhere(r.id());
        // The late take reaches a host that has already aborted the snapshot: it must change nothing.
        stuck.release();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (f.h2.takesEnded() == 0) {
            assertTrue(System.nanoTime() < deadline, "the late take never ended");
            Thread.sleep(2);
        }
        f.assertCleanEverywhere(r.id());
    }

    // ---------------------------------------------------------------- deletion

    @Test
    void deleteRemovesTheFilesOnEveryHostThenMarksDeleted() throws Exception {
        SliceSnapshotRecord keep = take(SnapshotMode.COW);
        SliceSnapshotRecord gone = take(SnapshotMode.COW);
        assertEquals(Set.of(keep.id(), gone.id()), f.h2.snapshotFiles());
        SliceSnapshotRecord d = f.coordinator.delete(gone.id());
        assertEquals(SliceSnapshotState.DELETED, d.state());
        assertEquals(Set.of(keep.id()), f.h1.snapshotFiles());
        assertEquals(Set.of(keep.id()), f.h2.snapshotFiles());
        assertEquals(d, f.coordinator.delete(gone.id())); // again: nothing to do
        assertEquals(1, f.h1.count(Op.DELETE));
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.delete("snap-404"));
        assertEquals(SnapshotFailure.UNKNOWN_SNAPSHOT, e.failure());
        assertEquals(List.of(keep.id(), gone.id()), f.coordinator.snapshots(SliceFixture.SLICE).stream().map(SliceSnapshotRecord::id).toList());
    }

    @Test
    void closedCoordinatorRefusesNewWork() {
        f.coordinator.close();
        assertEquals(SnapshotFailure.SHUT_DOWN, assertThrows(SnapshotException.class,
                () -> f.coordinator.start(SliceFixture.request(SnapshotMode.COW))).failure());
    }

    @Test
    void vmIsAttributedFromTheHostsMessage() {
        assertEquals("vm10", SnapshotCoordinator.vmIn("vm10: image write failed", List.of("vm1", "vm10")));
        assertEquals("", SnapshotCoordinator.vmIn("disk full", List.of("vm1", "vm2")));
        assertEquals("only", SnapshotCoordinator.vmIn("disk full", List.of("only")));
    }

}
