package net.vnsnap.am.testkit;

import java.util.List;
import java.util.Optional;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.StateChange;

/** A catalog that passes calls to another and fails, on demand, the next create or the next move into one state. */
public final class FailingCatalog implements SnapshotCatalog {
    private final SnapshotCatalog inner;
    private volatile boolean failNextCreate;
    private volatile SliceSnapshotState failNextMoveTo;

    public FailingCatalog(SnapshotCatalog inner) {
        this.inner = inner;
    }

    public void failNextCreate() {
        failNextCreate = true;
    }

    public void failNextMoveTo(SliceSnapshotState s) {
        failNextMoveTo = s;
    }

    private static CatalogException broken() {
        return new CatalogException(CatalogException.Reason.STORAGE, "disk I/O error (injected)");
    }

    @Override
    public int nextEpoch(String slice, int floor) throws CatalogException {
        return inner.nextEpoch(slice, floor);
    }

    @Override
    public int lastEpoch(String slice) throws CatalogException {
        return inner.lastEpoch(slice);
    }

    @Override
    public SliceSnapshotRecord create(SliceSnapshotRecord record) throws CatalogException {
        if (failNextCreate) {
            failNextCreate = false;
            throw broken();
        }
        return inner.create(record);
    }

    @Override
    public Optional<SliceSnapshotRecord> get(String snapshotId) throws CatalogException {
        return inner.get(snapshotId);
    }

    @Override
    public List<SliceSnapshotRecord> list(String slice) throws CatalogException {
        return inner.list(slice);
    }

    @Override
    public List<SliceSnapshotRecord> unfinished() throws CatalogException {
        return inner.unfinished();
    }

    @Override
    public SliceSnapshotRecord update(SliceSnapshotRecord next) throws CatalogException {
        if (next.state() == failNextMoveTo && inner.get(next.id()).map(r -> r.state() != next.state()).orElse(false)) {
            failNextMoveTo = null;
            throw broken();
        }
        return inner.update(next);
    }

    @Override
    public List<StateChange> history(String snapshotId) throws CatalogException {
        return inner.history(snapshotId);
    }

    @Override
    public void close() throws CatalogException {
        inner.close();
    }
}
