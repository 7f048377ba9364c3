package net.vnsnap.host.driver.xen.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The parts of a vif's packet socket that need no vif: where its netback connection state is read. */
class PacketSocketTest {

    @Test
    void aVifsXenbusStateIsItsBackendDevicesStateFile() {
        Path backends = Path.of("/sys/bus/xen-backend/devices");
        assertEquals(backends.resolve("vif-12-0/state"), PacketSocket.backendState(backends, "vif12.0"));
        assertEquals(backends.resolve("vif-3-2/state"), PacketSocket.backendState(backends, "vif3.2"));
        assertNull(PacketSocket.backendState(backends, "vif3.0-emu"), "a QEMU-emulated NIC's tap has no netback device");
        assertNull(PacketSocket.backendState(backends, "eth0"));
    }
}
