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
     * Resumes every VM restored from the snapshot, at {@code resumeAt} (wall clock) or now when null,
     * and releases their ports: the recorded frames are delivered first. Returns when all run.
     */
    List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException;
}
