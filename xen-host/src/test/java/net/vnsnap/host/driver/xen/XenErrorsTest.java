package net.vnsnap.host.driver.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.Test;

/** The error funnel: libxl code → closed reason → the SPI's exception type. */
class XenErrorsTest {
    @Test
    void codesMapToClosedReasons() {
        assertEquals(LibxlError.GUEST_TIMEDOUT, LibxlError.of(-8));
        assertEquals(LibxlError.DOMAIN_NOTFOUND, LibxlError.of(-21));
        assertEquals(LibxlError.QEMU_API, LibxlError.of(-32));
        assertEquals(LibxlError.UNKNOWN, LibxlError.of(-99));
        assertEquals(LibxlError.UNKNOWN, LibxlError.of(0), "0 is success, never a reason");
        for (LibxlError e : LibxlError.values()) {
            if (e != LibxlError.SYSTEM && e != LibxlError.UNKNOWN) {
                assertEquals(e, LibxlError.of(e.code()));
            }
        }
    }

    @Test
    void operationDecidesTheExceptionType() {
        LibxlException timedOut = new LibxlException("libxl_domain_suspend", -8, LibxlError.GUEST_TIMEDOUT, null);
        DriverException s = XenErrors.toDriver(timedOut, XenErrors.Operation.SNAPSHOT, "vm1", VmState.RUNNING);
        SnapshotFailedException sf = assertInstanceOf(SnapshotFailedException.class, s);
        assertEquals(VmState.RUNNING, sf.stateAfter());
        assertTrue(s.getMessage().contains("vm1") && s.getMessage().contains("ERROR_GUEST_TIMEDOUT"), s.getMessage());

        LibxlException ni = new LibxlException("libxl_domain_suspend", -4, LibxlError.NI, null);
        assertInstanceOf(UnsupportedModeException.class, XenErrors.toDriver(ni, XenErrors.Operation.SNAPSHOT, "vm1", VmState.RUNNING));

        LibxlException fail = new LibxlException("libxl_domain_create_restore", -3, LibxlError.FAIL, null);
        assertInstanceOf(RestoreFailedException.class, XenErrors.toDriver(fail, XenErrors.Operation.RESTORE, "vm1", VmState.SHUTOFF));

        LibxlException gone = new LibxlException("libxl_domain_unpause", -21, LibxlError.DOMAIN_NOTFOUND, null);
        DriverException g = XenErrors.toDriver(gone, XenErrors.Operation.RESUME, "vm1", null);
        assertEquals(DriverException.class, g.getClass());
        assertTrue(g.getMessage().contains("no longer exists"), g.getMessage());
    }

    @Test
    void systemErrorsNameErrno() {
        LibxlException e = new LibxlException("open", -13, LibxlError.SYSTEM, "/x");
        assertTrue(e.getMessage().contains("errno 13"), e.getMessage());
    }
}
