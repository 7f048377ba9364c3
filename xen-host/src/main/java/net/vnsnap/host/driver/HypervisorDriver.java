package net.vnsnap.host.driver;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The host agent's view of one hypervisor (QEMU over QMP, Xen over libxl): VM lifecycle plus a
 * one-VM snapshot whose cut hook lets the caller make several VMs' snapshots one consistent cut.
 */
public interface HypervisorDriver extends AutoCloseable {

    /** Hypervisor name, version, accelerator and the snapshot modes it supports here. */
    Capabilities capabilities() throws DriverException;

    /** Creates the VM with its devices, paused before its first instruction. */
    void create(VmSpec spec) throws DriverException;

    /** Starts a created VM. */
    void start(String vm) throws DriverException;

    void pause(String vm) throws DriverException;

    void resume(String vm) throws DriverException;

    /** Stops the VM at once and forgets it; the disk images stay. Destroying an unknown VM is a no-op. */
    void destroy(String vm) throws DriverException;

    VmState state(String vm) throws DriverException;

    /** The VM's devices as they are now (disk paths change with each snapshot's overlay). */
    VmSpec spec(String vm) throws DriverException;

    /** The file the VM's serial console is logged to, if the driver keeps one. */
    Optional<Path> consoleLog(String vm) throws DriverException;

    /**
     * Snapshots one VM. The VM runs again when this returns or throws, unless the hypervisor died.
     *
     * @throws UnsupportedModeException when the mode cannot be taken consistently here
     * @throws SnapshotFailedException  when the snapshot failed; its image must be discarded
     */
    SnapshotResult snapshot(String vm, SnapshotRequest request) throws DriverException;

    /** Recreates a VM from a snapshot and leaves it paused; the caller resumes it. */
    RestoreResult restore(RestoreRequest request) throws DriverException;

    /**
     * Replaces the complete list of users the guest lets in (GENI's {@code geni_update_users}): listed users
     * get exactly the listed keys, users no longer listed lose all keys. Returns once the guest has applied it;
     * the VM must be running with {@link VmSpec#access() guest access}. {@link #spec} reflects the new list.
     *
     * @throws UnsupportedFeatureException when the driver cannot reach guests (the default)
     */
    default void updateUsers(String vm, List<GuestUser> users) throws DriverException {
        throw new UnsupportedFeatureException(getClass().getSimpleName() + " cannot update the users of guest " + vm);
    }

    /** Whether this driver's VMs can get guest access ({@link VmSpec#access()}); {@link #create} refuses it otherwise. */
    default boolean offersGuestAccess() {
        return true;
    }

    /** How the agent gives each VM its own writable copy of an image's disk, in the format this driver's guests read. */
    enum WritableDisk {
        /** A qcow2 overlay backed by the image (created with qemu-img in constant time). */
        QCOW2_OVERLAY,
        /** A raw copy of the image: a reflink where the file system has them, else a sparse full copy. */
        RAW_COPY
    }

    /** The kind of writable disk this driver's VMs get from an image's disk; qcow2 overlays unless the driver says otherwise. */
    default WritableDisk writableDisk() {
        return WritableDisk.QCOW2_OVERLAY;
    }

    /** Destroys every VM this driver created. */
    @Override
    void close();
}
