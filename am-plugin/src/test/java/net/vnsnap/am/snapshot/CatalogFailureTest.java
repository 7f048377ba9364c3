package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.StateChange;
import net.vnsnap.am.testkit.FailingCatalog;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.host.driver.SnapshotMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The catalog failing under the coordinator: nothing half-recorded is taken, and a failed write mid-snapshot aborts it. */
class CatalogFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final FailingCatalog catalog = new FailingCatalog(new InMemorySnapshotCatalog());
    private final SliceFixture f = new SliceFixture(catalog);

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void failedCreateRefusesTheSnapshotAndFreesTheSlice() throws Exception {
        catalog.failNextCreate();
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.coordinator.start(SliceFixture.request(SnapshotMode.COW)));
        assertEquals(SnapshotFailure.CATALOG_ERROR, e.failure());
        assertEquals(GeniCode.DBERROR, e.code());
        assertEquals(0, f.h1.calls().size());
        assertEquals(SliceSnapshotState.COMPLETE, f.coordinator.start(SliceFixture.request(SnapshotMode.COW)).await(WAIT).state());
    }

    @Test
    void failedWriteMidSnapshotAbortsItEverywhere() throws Exception {
        catalog.failNextMoveTo(SliceSnapshotState.COMMITTING);
        SnapshotHandle h = f.coordinator.start(SliceFixture.request(SnapshotMode.COW));
        SliceSnapshotRecord r = h.await(WAIT);
        assertEquals(SliceSnapshotState.FAILED, r.state());
        assertEquals(SnapshotFailure.CATALOG_ERROR, h.failure().orElseThrow().failure());
        assertTrue(r.failure().contains("disk I/O error"), r.failure());
        assertEquals(List.of(SliceSnapshotState.PREPARING, SliceSnapshotState.TAKING, SliceSnapshotState.FAILED),
                f.catalog.history(r.id()).stream().map(StateChange::state).toList());
        assertEquals(0, f.h1.count(Op.COMMIT) + f.h2.count(Op.COMMIT));
        f.assertCleanEverywhere(r.id());
    }
}
