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
     * Called just before the hypervisor is asked to pause the VM for its cut, in the modes where the driver pauses it
     * (cow, stop), and in live mode, where the hypervisor pauses it by itself, as soon as it reports that pause (on
     * another thread); a failure aborts the snapshot like one of {@link #atCut}.
     *
     * @param vm the VM's name
     */
    default void beforePause(String vm) throws Exception {
    }
}
