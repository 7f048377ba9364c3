package net.vnsnap.host.driver;

/** How a VM's memory is captured; every mode takes the disk state and calls the cut hook at the same pause. */
public enum SnapshotMode {
    /** Copy-on-write: pause, cut, resume at once; memory is written afterwards while the VM runs. */
    COW,
    /** Pre-copy while running; the snapshot instant is the final pause, where the cut is taken. */
    LIVE,
    /** Stop-and-copy baseline: the VM stays paused for the whole save (like {@code xl save -c}). */
    STOP
}
