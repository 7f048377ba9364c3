package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.StateChange;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.am.testkit.Gate;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.driver.SnapshotMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AM stops mid-snapshot (coordinator and SQLite catalog closed), starts again on the same file, and
 * {@code resolveAfterRestart} settles what it finds from what the hosts hold.
 */
class RestartRecoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private Path file;
    private SliceFixture f;

    @BeforeEach
    void setUp() throws Exception {
        file = dir.resolve("catalog.db");
        f = new SliceFixture(SqliteSnapshotCatalog.open(file));
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private SliceSnapshotState stateOf(String id) throws Exception {
        return f.catalog.get(id).orElseThrow().state();
    }

    private void waitFor(String id, SliceSnapshotState s) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (stateOf(id) != s) {
            assertTrue(System.nanoTime() < deadline, "never reached " + s);
            Thread.sleep(2);
        }
    }

    /** Closes the coordinator and the catalog as an AM shutdown would, and starts both again on the same file. */
    private void restart(SnapshotHandle running) throws Exception {
        f.coordinator.close();
        // The outcome is left to the next start: the handle is cancelled, not failed.
        assertThrows(CancellationException.class, () -> running.await(WAIT));
        f.catalog.close();
        f.catalog = SqliteSnapshotCatalog.open(file);
        f.coordinator = f.newCoordinator();
    }

    private List<SliceSnapshotState> history(String id) throws Exception {
        return f.catalog.history(id).stream().map(StateChange::state).toList();
    }

    @Test
    void snapshotLeftTakingIsAbortedEverywhereAndFailed() throws Exception {
        Gate take = f.h2.gateBefore(Op.TAKE);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        take.awaitArrival();
        waitFor(h.snapshotId(), SliceSnapshotState.TAKING);

        restart(h);
        // The host finishes the take it was asked for while the AM was down.
        take.release();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!f.h2.phase(h.snapshotId()).equals("taken")) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(2);
        }
        assertEquals(SliceSnapshotState.TAKING, stateOf(h.snapshotId()));

        List<Resolution> res = f.coordinator.resolveAfterRestart();
        assertEquals(1, res.size());
        Resolution r = res.get(0);
        assertEquals(SliceSnapshotState.TAKING, r.found());
        assertEquals(SliceSnapshotState.FAILED, r.outcome());
        assertTrue(r.reason().startsWith("COORDINATOR_RESTARTED on host h1"), r.reason());
        SliceSnapshotRecord rec = f.catalog.get(h.snapshotId()).orElseThrow();
        assertEquals(SliceSnapshotState.FAILED, rec.state());
        assertTrue(rec.failure().contains("h2 (not committed there)"), rec.failure());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.FAILED), history(rec.id()));
        f.assertCleanEverywhere(rec.id());
        // Nothing is left to resolve, and the slice can be snapshotted again with a higher epoch.
        assertEquals(List.of(), f.coordinator.resolveAfterRestart());
        SliceSnapshotRecord next = f.coordinator.start(SliceFixture.request(SnapshotMode.COW)).await(WAIT);
        assertEquals(SliceSnapshotState.COMPLETE, next.state());
        assertTrue(next.epoch() > rec.epoch());
    }

    @Test
    void snapshotLeftTakingThatEveryHostHoldsCompleteBecomesComplete() throws Exception {
        // The state an AM leaves when it dies after the hosts committed but before its own writes landed
        // (this coordinator records COMMITTING before it commits; recovery must not rely on that).
        int epoch = f.catalog.nextEpoch(SliceFixture.SLICE, 0);
        SliceSnapshotRecord rec = f.catalog.create(SliceSnapshotRecord.preparing("snap-orphan", SliceFixture.SLICE, "", epoch,
                SnapshotMode.COW, true, SliceFixture.START, List.of(VmEntry.planned("vm1", "h1"), VmEntry.planned("vm2", "h1"),
                        VmEntry.planned("vm3", "h2"))));
        f.catalog.update(rec.withState(SliceSnapshotState.TAKING, SliceFixture.START));
        Instant cut = SliceFixture.START.plusMillis(200);
        f.h1.prepareSnapshot(new SnapshotPlan("snap-orphan", SliceFixture.SLICE, epoch, SnapshotMode.COW, true, List.of("vm1", "vm2")));
        f.h2.prepareSnapshot(new SnapshotPlan("snap-orphan", SliceFixture.SLICE, epoch, SnapshotMode.COW, true, List.of("vm3")));
        f.h1.takeSnapshot("snap-orphan", cut);
        f.h2.takeSnapshot("snap-orphan", cut);
        f.h1.commitSnapshot("snap-orphan");
        f.h2.commitSnapshot("snap-orphan");
        f.catalog.close();
        f.catalog = SqliteSnapshotCatalog.open(file);
        f.coordinator.close();
        f.coordinator = f.newCoordinator();

        List<Resolution> res = f.coordinator.resolveAfterRestart();
        assertEquals(List.of(new Resolution("snap-orphan", SliceSnapshotState.TAKING, SliceSnapshotState.COMPLETE,
                "every host holds it committed")), res);
        SliceSnapshotRecord done = f.catalog.get("snap-orphan").orElseThrow();
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING,
                SliceSnapshotState.COMPLETE), history("snap-orphan"));
        assertEquals(List.of(cut, cut, cut), done.vms().stream().map(VmEntry::cutAt).toList());
        assertEquals(0, f.h1.count(Op.ABORT) + f.h2.count(Op.ABORT));
    }

    @Test
    void snapshotLeftCommittingThatEveryHostCommittedBecomesComplete() throws Exception {
        Gate reply = f.h2.gateAfter(Op.COMMIT); // h2 commits, but its answer never reaches the old coordinator
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        reply.awaitArrival();
        assertEquals(SliceSnapshotState.COMMITTING, stateOf(h.snapshotId()));

        restart(h);
        List<Resolution> res = f.coordinator.resolveAfterRestart();
        reply.release();
        assertEquals(List.of(new Resolution(h.snapshotId(), SliceSnapshotState.COMMITTING, SliceSnapshotState.COMPLETE,
                "every host holds it committed")), res);
        SliceSnapshotRecord rec = f.catalog.get(h.snapshotId()).orElseThrow();
        assertEquals(SliceSnapshotState.COMPLETE, rec.state());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING,
                SliceSnapshotState.COMPLETE), history(rec.id()));
        assertEquals(14L << 30, rec.totalBytes());
        assertEquals(Duration.ZERO, rec.cutSkew());
        assertTrue(rec.vms().stream().map(VmEntry::cutAt).allMatch(t -> t != null));
        assertEquals(Set.of(rec.id()), f.h1.snapshotFiles());
        assertEquals(Set.of(rec.id()), f.h2.snapshotFiles());
        // It restores like any other complete snapshot.
        assertTrue(f.coordinator.restore(rec.id()).epoch() > rec.epoch());
    }

    @Test
    void snapshotLeftCommittingThatOneHostNeverCommittedIsFailed() throws Exception {
        Gate commit = f.h2.gateBefore(Op.COMMIT); // the old coordinator's commit never reaches h2
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        commit.awaitArrival();
        assertEquals(SliceSnapshotState.COMMITTING, stateOf(h.snapshotId()));

        restart(h);
        List<Resolution> res = f.coordinator.resolveAfterRestart();
        assertEquals(SliceSnapshotState.FAILED, res.get(0).outcome());
        assertTrue(res.get(0).reason().contains("h2"), res.get(0).reason());
        // h1 had committed its half: deleted. h2's taken half: aborted.
        f.assertCleanEverywhere(h.snapshotId());
        assertEquals(Set.of(), f.h1.snapshotFiles());
        commit.release();
        assertEquals(SliceSnapshotState.FAILED, stateOf(h.snapshotId()));
    }
}
