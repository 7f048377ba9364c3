package net.vnsnap.host.driver;

/** A VM's run state as far as the host agent cares. */
public enum VmState {
    /** Created but never started. */
    CREATED,
    RUNNING,
    PAUSED,
    /** Restored from a snapshot and paused until the coordinator resumes it. */
    RESTORED_PAUSED,
    /** Loading a snapshot. */
    INCOMING,
    /** The hypervisor process or domain is gone. */
    SHUTOFF,
    /** The guest or hypervisor failed. */
    CRASHED
}
