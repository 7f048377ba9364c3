package net.vnsnap.host.driver;

/** A snapshot did not complete; {@link #stateAfter()} tells whether the VM is still running. */
public class SnapshotFailedException extends DriverException {
    private static final long serialVersionUID = 1L;

    private final VmState stateAfter;

    public SnapshotFailedException(String message, VmState stateAfter, Throwable cause) {
        super(message + " (VM is now " + stateAfter + ")", cause);
        this.stateAfter = stateAfter;
    }

    /** The VM's state after the failure was handled: RUNNING unless the hypervisor itself died. */
    public VmState stateAfter() {
        return stateAfter;
    }
}
