package net.vnsnap.am.catalog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A catalog that lives as long as the process: for tests, benchmarks and AMs that need no restart safety. */
public final class InMemorySnapshotCatalog implements SnapshotCatalog {

    private final Object lock = new Object();
    /** Insertion order is creation order, which {@link #list} promises. @GuardedBy("lock") */
    private final Map<String, SliceSnapshotRecord> records = new LinkedHashMap<>();
    /** @GuardedBy("lock") */
    private final Map<String, List<StateChange>> histories = new HashMap<>();
    /** @GuardedBy("lock") */
    private final Map<String, Integer> epochs = new HashMap<>();
    /** @GuardedBy("lock") */
    private boolean closed;

    @Override
    public int nextEpoch(String slice, int floor) throws CatalogException {
        synchronized (lock) {
            open();
            int next = Math.max(epochs.getOrDefault(slice, 0), floor) + 1;
            epochs.put(slice, next);
            return next;
        }
    }

    @Override
    public int lastEpoch(String slice) throws CatalogException {
        synchronized (lock) {
            open();
            return epochs.getOrDefault(slice, 0);
        }
    }

    @Override
    public SliceSnapshotRecord create(SliceSnapshotRecord record) throws CatalogException {
        synchronized (lock) {
            open();
            if (records.containsKey(record.id())) {
                throw new CatalogException(CatalogException.Reason.ALREADY_EXISTS, "snapshot '" + record.id() + "' already exists");
            }
            SliceSnapshotRecord stored = record.withVersion(1);
            records.put(stored.id(), stored);
            List<StateChange> h = new ArrayList<>();
            h.add(new StateChange(stored.state(), stored.stateSince(), stored.failure()));
            histories.put(stored.id(), h);
            return stored;
        }
    }

    @Override
    public Optional<SliceSnapshotRecord> get(String snapshotId) throws CatalogException {
        synchronized (lock) {
            open();
            return Optional.ofNullable(records.get(snapshotId));
        }
    }

    @Override
    public List<SliceSnapshotRecord> list(String slice) throws CatalogException {
        synchronized (lock) {
            open();
            return records.values().stream().filter(r -> r.slice().equals(slice)).toList();
        }
    }

    @Override
    public List<SliceSnapshotRecord> unfinished() throws CatalogException {
        synchronized (lock) {
            open();
            return records.values().stream().filter(r -> r.state().inProgress()).toList();
        }
    }

    @Override
    public SliceSnapshotRecord update(SliceSnapshotRecord next) throws CatalogException {
        synchronized (lock) {
            open();
            SliceSnapshotRecord cur = records.get(next.id());
            CatalogChecks.checkUpdate(cur, next);
            SliceSnapshotRecord stored = next.withVersion(cur.version() + 1);
            records.put(stored.id(), stored);
            if (stored.state() != cur.state()) {
                histories.get(stored.id()).add(new StateChange(stored.state(), stored.stateSince(), stored.failure()));
            }
            return stored;
        }
    }

    @Override
    public List<StateChange> history(String snapshotId) throws CatalogException {
        synchronized (lock) {
            open();
            return List.copyOf(histories.getOrDefault(snapshotId, List.of()));
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
    }

    private void open() throws CatalogException {
        if (closed) {
            throw new CatalogException(CatalogException.Reason.STORAGE, "catalog is closed");
        }
    }
}
