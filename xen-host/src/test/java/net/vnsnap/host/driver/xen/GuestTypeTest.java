package net.vnsnap.host.driver.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PVH by default; PV live snapshots only where virt_caps has shadow paging. */
class GuestTypeTest {
    private static HostCaps caps(boolean pv, boolean hvm, boolean hap, boolean shadow) {
        return new HostCaps("4.17", pv, hvm, hap, shadow);
    }

    @Test
    void bookwormSecurityXenHasHapButNoShadow() {
        HostCaps c = caps(true, true, true, false);
        assertEquals(GuestType.PVH, GuestType.PVH.resolve(c));
        assertTrue(GuestType.PVH.liveSupported(c));
        assertEquals(GuestType.PV, GuestType.PV.resolve(c));
        assertFalse(GuestType.PV.liveSupported(c), "PV log-dirty needs shadow paging");
        assertEquals(GuestType.PVH, GuestType.AUTO.resolve(c));
    }

    @Test
    void shadowBuildAllowsPvLive() {
        HostCaps c = caps(true, true, true, true);
        assertTrue(GuestType.PV.liveSupported(c));
        assertEquals(GuestType.PVH, GuestType.AUTO.resolve(c));
    }

    @Test
    void withoutHvmOnlyPv() {
        HostCaps c = caps(true, false, false, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GuestType.PVH.resolve(c));
        assertTrue(e.getMessage().contains("virt_caps"), e.getMessage());
        assertEquals(GuestType.PV, GuestType.AUTO.resolve(c));
        assertTrue(GuestType.AUTO.liveSupported(c));
        assertFalse(GuestType.AUTO.liveSupported(caps(true, false, false, false)));
    }

    @Test
    void parsesConfigValues() {
        assertEquals(GuestType.PVH, GuestType.parse(" PVH "));
        assertEquals(GuestType.AUTO, GuestType.parse("auto"));
        assertThrows(IllegalArgumentException.class, () -> GuestType.parse("hvm"));
    }
}
