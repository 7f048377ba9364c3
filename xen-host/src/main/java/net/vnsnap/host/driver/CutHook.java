package net.vnsnap.host.driver;

import java.time.Instant;

/**
 * Called while the VM is paused at its snapshot instant, before it resumes: the place where the virtual
 * switch changes the VM port's epoch (colour). A failure aborts the snapshot and the VM is resumed.
 */
@FunctionalInterface
public interface CutHook {

    /** A hook that does nothing, for single-VM snapshots without a switch. */
    CutHook NONE = (vm, pausedAt) -> { };

    /**
     * @param vm       the VM's name
     * @param pausedAt when the hypervisor reported the VM paused
     */
    void atCut(String vm, Instant pausedAt) throws Exception;

    /**
     * Called while the VM still runs, before anything can pause it for its cut: just before the driver pauses it (cow,
     * stop), and in live mode before the pre-copy starts, since the hypervisor may pause the VM by itself when the copy
     * converges. From here until the cut the switch must hold the VM's frames. A failure aborts the snapshot like one
     * of {@link #atCut}.
     *
     * @param vm the VM's name
     */
    default void beforePause(String vm) throws Exception {
    }

    /**
     * Called at the cut, just before {@link #atCut}, with frames the switch delivered to a NIC of the VM before the cut
     * that the hypervisor had not yet handed to the guest (they wait in the host's queues, in no image of the VM):
     * channel state, oldest first. The VM still receives them when it runs on. Not called when there are none.
     *
     * @param vm     the VM's name
     * @param nic    the NIC's id
     * @param frames whole Ethernet frames
     */
    default void undeliveredAtCut(String vm, String nic, java.util.List<byte[]> frames) throws Exception {
    }

    /**
     * Called once the VM runs again after its cut (the snapshot may still be writing memory, as in cow mode): the switch
     * may now deliver what it kept for the paused VM. Not called when the snapshot fails (the caller ends its hold
     * then); a failure here is logged, not fatal, since the cut is already taken.
     *
     * @param vm the VM's name
     */
    default void afterResume(String vm) throws Exception {
    }
}
