package net.vnsnap.host.driver.xen;

import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmState;

/** The one place where a libxl failure becomes one of the SPI's driver exceptions. */
final class XenErrors {
    /** What the driver was doing when libxl failed; decides the exception type. */
    enum Operation { CAPABILITIES, CREATE, START, PAUSE, RESUME, DESTROY, STATE, SNAPSHOT, RESTORE }

    private XenErrors() {
    }

    /**
     * @param stateAfter the VM's state after the failure was handled (used for snapshots)
     */
    static DriverException toDriver(LibxlException e, Operation op, String vm, VmState stateAfter) {
        String what = op.name().toLowerCase(java.util.Locale.ROOT) + (vm == null ? "" : " of " + vm) + ": " + e.getMessage();
        if (op == Operation.SNAPSHOT) {
            if (e.error().unsupported()) {
                return new UnsupportedModeException("Xen cannot take this snapshot here: " + what, e);
            }
            return new SnapshotFailedException("Xen snapshot failed, " + what, stateAfter, e);
        }
        if (op == Operation.RESTORE) {
            return new RestoreFailedException("Xen restore failed, " + what, e);
        }
        if (e.error().domainGone()) {
            return new DriverException("domain of " + vm + " no longer exists in Xen (" + what + ")", e);
        }
        return new DriverException("Xen " + what, e);
    }
}
