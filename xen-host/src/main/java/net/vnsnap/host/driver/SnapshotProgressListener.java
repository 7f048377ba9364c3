package net.vnsnap.host.driver;

/** Receives progress of a memory save; called from the driver's thread, so it must return quickly. */
@FunctionalInterface
public interface SnapshotProgressListener {

    SnapshotProgressListener NONE = (vm, transferred, total, phase) -> { };

    /**
     * @param transferred bytes of memory state sent so far
     * @param total       the guest's RAM size in bytes (pre-copy may send more than this)
     * @param phase       the hypervisor's migration status, e.g. "active" or "completed"
     */
    void progress(String vm, long transferred, long total, String phase);
}
