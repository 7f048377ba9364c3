package net.vnsnap.host.api;

import java.time.Instant;
import java.util.List;
import net.vnsnap.host.driver.GuestUser;

/**
 * What the AM and its snapshot coordinator ask of one virtualization host: the slice's network segments,
 * its VMs, and the two-phase snapshot and restore of the VMs on this host. Implemented in-process by the
 * host agent itself and, over XML-RPC with mutual TLS, by a remote proxy; both obey the same contract.
 *
 * <p>Every method either completes or throws {@link HostException}; none leaves a VM paused unless the
 * contract says so ({@link #restoreSnapshot} leaves restored VMs paused until {@link #resumeRestored}).
 */
public interface HostAgent {

    /** The host's identity, hypervisor, snapshot modes, free snapshot storage and tunnel endpoint. */
    HostInfo info() throws HostException;

    // ---- the slice's network ----

    /** Creates the L2 segment of a slice's link (idempotent for the same arguments). */
    void createSegment(SegmentSpec segment) throws HostException;

    /** Joins a segment to the same segment on another host, whose tunnel endpoint is {@code host:port}. */
    void connectSegment(String slice, String link, String remoteTunnelEndpoint) throws HostException;

    /** Removes a segment, its ports and tunnels; removing an unknown segment does nothing. */
    void removeSegment(String slice, String link) throws HostException;

    // ---- VMs ----

    /** Creates a VM with one switch port per NIC and starts it; the VM runs when this returns. */
    VmInfo createVm(VmRequest request) throws HostException;

    VmInfo vm(String name) throws HostException;

    List<VmInfo> vms() throws HostException;

    void pauseVm(String name) throws HostException;

    void resumeVm(String name) throws HostException;

    /** Stops the VM at once and removes its ports; its disk overlay is deleted, snapshots stay. Unknown: no-op. */
    void destroyVm(String name) throws HostException;

    /**
     * Replaces the experimenters who may log in to a VM created with guest access ({@link VmRequest#users()}):
     * listed logins get exactly the listed keys, earlier ones not listed lose their keys. A running guest has
     * applied the list when this returns; a paused one gets it when it resumes.
     */
    default void updateUsers(String name, List<GuestUser> users) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot update the users of " + name);
    }

    // ---- coordinated snapshot (phase 1: prepare; phase 2: take; then commit or abort) ----

    /**
     * Checks that every VM of the plan on this host can be snapshotted in the plan's mode and that the
     * store has room for memory (and disk) images; reserves the snapshot's directory. Changes no VM.
     */
    PrepareResult prepareSnapshot(SnapshotPlan plan) throws HostException;

    /**
     * Takes the snapshot of every VM of a prepared plan on this host, in parallel. At each VM's cut the
     * VM's switch ports move to the plan's epoch before the VM resumes. With {@code cutAt} set (cow and
     * stop modes), every VM pauses at that wall-clock instant, so cuts on all hosts line up; null means now.
     * Returns when every memory image is written; the VMs run again whatever happens.
     */
    List<VmCut> takeSnapshot(String snapshotId, Instant cutAt) throws HostException;

    /**
     * Makes a taken snapshot durable: collects the frames recorded as channel state, writes and syncs
     * the manifests, and marks the snapshot complete on this host.
     */
    HostSnapshot commitSnapshot(String snapshotId) throws HostException;

    /** Deletes everything of an unfinished snapshot and makes sure its VMs run; safe to repeat. */
    void abortSnapshot(String snapshotId) throws HostException;

    /** Bytes written so far and the phase, for progress reports during {@link #takeSnapshot}. */
    SnapshotProgress progress(String snapshotId) throws HostException;

    /** Complete snapshots held on this host. */
    List<HostSnapshot> snapshots() throws HostException;

    /** Deletes a snapshot's files on this host; unknown: no-op. */
    void deleteSnapshot(String snapshotId) throws HostException;

    // ---- restore ----

    /**
     * Recreates the snapshot's VMs on this host from verified images (a corrupt image is refused before
     * anything starts), with fresh disk overlays on the frozen disks, and leaves them paused. Their switch
     * ports take {@code epoch} with the recorded channel state queued for delivery first. VMs of the same
     * name still running are destroyed first.
     */
    List<VmInfo> restoreSnapshot(String snapshotId, int epoch) throws HostException;

    /**
     * Like {@link #restoreSnapshot(String, int)} but only for the listed VMs of this host's part (a restore that moves
     * some of the part's VMs to other hosts restores the rest here). An unlisted VM is not touched; a listed VM the
     * part lacks is {@code NO_SUCH_VM} and nothing is restored.
     */
    default List<VmInfo> restoreSnapshot(String snapshotId, int epoch, List<String> vms) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot restore a subset of a snapshot's VMs");
    }

    /**
     * Resumes every VM restored from the snapshot, at {@code resumeAt} (wall clock) or now when null,
     * and releases their ports: the recorded frames are delivered first. Returns when all run; each answer's
     * {@link VmInfo#resumedAt} is the host's instant right after the hypervisor resumed that VM (null: not measured).
     */
    List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException;

    // ---- moving a snapshot part to another host (restore elsewhere) ----

    /**
     * Describes one VM's part of a committed snapshot held here, for copying it to another host with
     * {@link #readSnapshotPart} and the other host's {@link #beginImport}. {@code NO_SUCH_SNAPSHOT} if this host holds
     * no committed part of the snapshot with that VM.
     */
    default SnapshotPart snapshotPart(String snapshotId, String vm) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot export snapshot parts");
    }

    /** Up to {@code length} bytes (at most {@link #MAX_CHUNK}) of a file of {@link #snapshotPart}, from {@code offset}; empty at the end. */
    default byte[] readSnapshotPart(String snapshotId, String vm, String path, long offset, int length) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot export snapshot parts");
    }

    /**
     * Starts importing a part another host described: checks that this host runs the snapshot's VMs' images (every
     * {@link SnapshotPart#requiredPaths} readable here) and has room, and opens a private staging area. Returns false,
     * staging nothing, when this host already holds exactly that part (same store id). Refuses with {@code BAD_REQUEST}
     * when a required path is unreachable, {@code INSUFFICIENT_STORAGE} without room, {@code CONFLICT} when it holds
     * another part of that VM for the snapshot. Changes nothing visible.
     */
    default boolean beginImport(SnapshotPart part) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot import snapshot parts");
    }

    /** Appends bytes to a file of the import; {@code offset} must be the bytes written to that file so far. */
    default void writeImport(String snapshotId, String vm, String path, long offset, byte[] data) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot import snapshot parts");
    }

    /**
     * Checks every copied file against its size and SHA-256 (and the VM store's own manifest), then publishes the part
     * atomically under the same snapshot id, next to any part this host already holds of the snapshot. Afterwards
     * {@link #restoreSnapshot(String, int, List)} can restore the VM here. {@code CORRUPT_SNAPSHOT} on any mismatch (the
     * staging area is removed).
     */
    default HostSnapshot finishImport(String snapshotId, String vm) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot import snapshot parts");
    }

    /** Drops an unfinished import; unknown: no-op. */
    default void abortImport(String snapshotId, String vm) throws HostException {
        throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "this host agent cannot import snapshot parts");
    }

    /** The largest chunk {@link #readSnapshotPart} returns and {@link #writeImport} accepts (the XML-RPC bodies stay below 8 MiB). */
    int MAX_CHUNK = 4 << 20;
}
