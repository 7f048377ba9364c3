package net.vnsnap.host.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A snapshot being written: its files go into a staging directory that only {@link #commit} turns into a
 * complete snapshot; closing it uncommitted deletes everything.
 */
public final class PendingSnapshot implements AutoCloseable {
    private final SnapshotStore store;
    private final String id;
    private final String vm;
    private final Path staging;
    /** Set by commit so close() knows not to delete the result. */
    private boolean done;

    PendingSnapshot(SnapshotStore store, String id, String vm, Path staging) {
        this.store = store;
        this.id = id;
        this.vm = vm;
        this.staging = staging;
    }

    public String id() {
        return id;
    }

    public String vm() {
        return vm;
    }

    /** Where the hypervisor writes the memory image. */
    public Path memoryImage() {
        return staging.resolve(SnapshotStore.MEMORY_FILE);
    }

    /**
     * Writes the device description, checksums every file and the frozen disks, writes the manifest and
     * publishes the snapshot atomically.
     *
     * @param deviceConfig the VM's device description (JSON) a restore rebuilds the VM from
     * @param disks        the frozen disk images: id, path, format
     */
    public SnapshotManifest commit(String deviceConfig, List<SnapshotStore.FrozenDisk> disks, Map<String, String> attributes)
            throws StoreException {
        if (done) {
            throw new IllegalStateException("snapshot " + id + " is already committed or aborted");
        }
        SnapshotManifest m = store.commit(this, staging, deviceConfig, disks, attributes);
        done = true;
        return m;
    }

    /** Deletes the staging directory unless the snapshot was committed. */
    @Override
    public void close() {
        if (!done) {
            done = true;
            try {
                SnapshotStore.deleteTree(staging);
            } catch (IOException e) {
                SnapshotStore.LOG.warn("cannot delete the incomplete snapshot {}: {}", staging, e.getMessage());
            }
        }
    }
}
