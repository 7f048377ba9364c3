package net.vnsnap.am.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.host.driver.SnapshotMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link SnapshotCatalog} must show; each implementation's test extends this class. */
public abstract class SnapshotCatalogContract {

    protected static final Instant T0 = Instant.parse("2026-11-26T14:00:00.123456789Z");
    protected SnapshotCatalog catalog;

    /** A fresh, empty catalog. */
    protected abstract SnapshotCatalog newCatalog() throws Exception;

    @BeforeEach
    void open() throws Exception {
        catalog = newCatalog();
    }

    @AfterEach
    void closeCatalog() throws Exception {
        catalog.close();
    }

    protected static SliceSnapshotRecord sample(String id, String slice, int epoch) {
        return SliceSnapshotRecord.preparing(id, slice, "before upgrade", epoch, SnapshotMode.COW, true, T0,
                List.of(VmEntry.planned("vm1", "h1"), VmEntry.planned("vm2", "h1"), VmEntry.planned("vm3", "h2")));
    }

    /** A record carried through every state to COMPLETE with cuts and totals, as the coordinator stores it. */
    protected SliceSnapshotRecord completed(String id) throws CatalogException {
        SliceSnapshotRecord r = catalog.create(sample(id, "urn:slice", 1));
        r = catalog.update(r.withState(SliceSnapshotState.TAKING, T0.plusMillis(10)));
        List<VmEntry> cut = List.of(
                new VmEntry("vm1", "h1", T0.plusMillis(200), Duration.ofNanos(5_000_123), 1L << 30, 5L << 30),
                new VmEntry("vm2", "h1", T0.plusMillis(201), Duration.ofMillis(6), 2L << 30, 0),
                new VmEntry("vm3", "h2", T0.plusMillis(203), Duration.ofMillis(7), 3L << 30, 1));
        r = catalog.update(r.withCuts(cut, Duration.ofMillis(3)).withState(SliceSnapshotState.COMMITTING, T0.plusMillis(300)));
        return catalog.update(r.withTotals(12345, 7, 8, 9).withState(SliceSnapshotState.COMPLETE, T0.plusSeconds(2)));
    }

    @Test
    void createThenGetReturnsEveryField() throws Exception {
        SliceSnapshotRecord created = catalog.create(sample("s1", "urn:slice", 1));
        assertEquals(1, created.version());
        assertEquals(created, catalog.get("s1").orElseThrow());
        SliceSnapshotRecord done = completed("s2");
        SliceSnapshotRecord read = catalog.get("s2").orElseThrow();
        assertEquals(done, read);
        assertEquals(4, read.version());
        assertEquals(Duration.ofNanos(5_000_123), read.vms().get(0).downtime());
        assertEquals(T0.plusSeconds(2), read.finishedAt());
        assertEquals(Set.of("h1", "h2"), read.hosts());
        assertEquals(List.of("vm1", "vm2"), read.vmsOn("h1"));
        assertTrue(catalog.get("nope").isEmpty());
    }

    @Test
    void duplicateIdIsRefused() throws Exception {
        catalog.create(sample("s1", "urn:slice", 1));
        CatalogException e = assertThrows(CatalogException.class, () -> catalog.create(sample("s1", "urn:other", 2)));
        assertEquals(CatalogException.Reason.ALREADY_EXISTS, e.reason());
    }

    @Test
    void updateBasedOnAStaleVersionIsRefused() throws Exception {
        SliceSnapshotRecord v1 = catalog.create(sample("s1", "urn:slice", 1));
        catalog.update(v1.withState(SliceSnapshotState.TAKING, T0));
        CatalogException e = assertThrows(CatalogException.class,
                () -> catalog.update(v1.failed("late writer", T0)));
        assertEquals(CatalogException.Reason.VERSION_CONFLICT, e.reason());
        assertEquals(SliceSnapshotState.TAKING, catalog.get("s1").orElseThrow().state());
    }

    @Test
    void illegalTransitionsAreRefused() throws Exception {
        SliceSnapshotRecord v1 = catalog.create(sample("s1", "urn:slice", 1));
        CatalogException e = assertThrows(CatalogException.class,
                () -> catalog.update(v1.withState(SliceSnapshotState.COMPLETE, T0)));
        assertEquals(CatalogException.Reason.ILLEGAL_TRANSITION, e.reason());
        SliceSnapshotRecord deleted = catalog.update(catalog.update(v1.failed("x", T0)).withState(SliceSnapshotState.DELETED, T0));
        for (SliceSnapshotState s : SliceSnapshotState.values()) {
            if (s != SliceSnapshotState.DELETED) {
                assertThrows(CatalogException.class, () -> catalog.update(deleted.withState(s, T0)), s.name());
            }
        }
        SliceSnapshotRecord other = new SliceSnapshotRecord("s1", "urn:other", "", 1, SnapshotMode.COW, true,
                SliceSnapshotState.DELETED, "", T0, T0, null, List.of(), null, 0, 0, 0, 0, deleted.version());
        assertEquals(CatalogException.Reason.ILLEGAL_TRANSITION, assertThrows(CatalogException.class, () -> catalog.update(other)).reason());
    }

    @Test
    void updateOfUnknownSnapshotIsNotFound() {
        CatalogException e = assertThrows(CatalogException.class, () -> catalog.update(sample("ghost", "urn:slice", 1)));
        assertEquals(CatalogException.Reason.NOT_FOUND, e.reason());
    }

    @Test
    void historyListsEveryStateInOrderWithTheFailureReason() throws Exception {
        completed("ok");
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING,
                SliceSnapshotState.COMPLETE), catalog.history("ok").stream().map(StateChange::state).toList());
        assertEquals(T0.plusSeconds(2), catalog.history("ok").get(3).at());

        SliceSnapshotRecord f = catalog.create(sample("bad", "urn:slice", 2));
        f = catalog.update(f.withState(SliceSnapshotState.TAKING, T0));
        f = catalog.update(f.withTotals(1, 0, 0, 0)); // no state change: no history entry
        catalog.update(f.failed("TAKE_FAILED on host h2, VM vm3: boom", T0.plusSeconds(1)));
        List<StateChange> h = catalog.history("bad");
        assertEquals(3, h.size());
        assertEquals(new StateChange(SliceSnapshotState.FAILED, T0.plusSeconds(1), "TAKE_FAILED on host h2, VM vm3: boom"), h.get(2));
        assertTrue(catalog.history("nope").isEmpty());
    }

    @Test
    void listIsPerSliceInCreationOrderAndUnfinishedSkipsFinished() throws Exception {
        catalog.create(sample("b", "urn:one", 1));
        catalog.create(sample("a", "urn:two", 1));
        completed("c");
        SliceSnapshotRecord d = catalog.create(sample("d", "urn:one", 2));
        catalog.update(d.withState(SliceSnapshotState.TAKING, T0));
        assertEquals(List.of("b", "d"), catalog.list("urn:one").stream().map(SliceSnapshotRecord::id).toList());
        assertEquals(List.of("b", "a", "d"), catalog.unfinished().stream().map(SliceSnapshotRecord::id).toList());
        assertTrue(catalog.list("urn:none").isEmpty());
    }

    @Test
    void epochsGrowPerSliceAndRespectTheFloor() throws Exception {
        assertEquals(0, catalog.lastEpoch("urn:a"));
        assertEquals(1, catalog.nextEpoch("urn:a", 0));
        assertEquals(2, catalog.nextEpoch("urn:a", 0));
        assertEquals(1, catalog.nextEpoch("urn:b", 0));
        assertEquals(11, catalog.nextEpoch("urn:a", 10));
        assertEquals(12, catalog.nextEpoch("urn:a", 3));
        assertEquals(12, catalog.lastEpoch("urn:a"));
        assertEquals(1, catalog.lastEpoch("urn:b"));
    }

    @Test
    void closedCatalogRefusesCalls() throws Exception {
        catalog.close();
        CatalogException e = assertThrows(CatalogException.class, () -> catalog.get("x"));
        assertEquals(CatalogException.Reason.STORAGE, e.reason());
        catalog.close();
        catalog = newCatalog();
    }

    @Test
    void concurrentWritersNeverShareAnEpochOrLoseAnUpdate() throws Exception {
        int threads = 8;
        int perThread = 40;
        SliceSnapshotRecord shared = catalog.create(sample("shared", "urn:hot", 1));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger conflicts = new AtomicInteger();
        List<Future<List<Integer>>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int me = t;
                Callable<List<Integer>> work = () -> {
                    go.await();
                    List<Integer> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        int epoch = catalog.nextEpoch("urn:hot", 0);
                        mine.add(epoch);
                        catalog.create(sample("t" + me + "-" + i, "urn:hot", epoch));
                        // Read-modify-write with compare-and-set, retried on conflict, like two AMs sharing a record.
                        while (true) {
                            SliceSnapshotRecord cur = catalog.get("shared").orElseThrow();
                            try {
                                catalog.update(cur.withTotals(cur.totalBytes() + 1, 0, 0, 0));
                                break;
                            } catch (CatalogException e) {
                                assertEquals(CatalogException.Reason.VERSION_CONFLICT, e.reason());
                                conflicts.incrementAndGet();
                            }
                        }
                    }
                    return mine;
                };
                futures.add(pool.submit(work));
            }
            go.countDown();
            Set<Integer> all = new HashSet<>();
            for (Future<List<Integer>> f : futures) {
                for (int e : f.get()) {
                    assertTrue(all.add(e), "epoch " + e + " handed out twice");
                }
            }
            int n = threads * perThread;
            assertEquals(n, all.size());
            assertEquals(n, catalog.lastEpoch("urn:hot"));
            assertEquals(n + 1, catalog.list("urn:hot").size());
            SliceSnapshotRecord end = catalog.get("shared").orElseThrow();
            assertEquals(n, end.totalBytes());
            assertEquals(shared.version() + n, end.version());
        } finally {
            pool.shutdownNow();
        }
    }
}
