package net.vnsnap.host.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmSpecJsonTest {
    @Test
    void roundTripsEveryField() {
        NetworkAttachment.UdpTunnel[] link = NetworkAttachment.UdpTunnel.directPair(42000);
        VmSpec spec = new VmSpec("vm1", 128, 1, new BootSource.Kernel(Path.of("/g/vmlinux"), Path.of("/g/initrd"), "console=ttyS0"),
                List.of(new DiskSpec("disk0", Path.of("/d/disk0.qcow2"), "qcow2")),
                List.of(new NicSpec("net0", "52:54:00:00:00:01", link[0])));
        assertEquals(spec, VmSpecJson.fromJson(VmSpecJson.toJson(spec)));
        assertEquals(42001, link[0].remotePort());
        assertEquals(42000, link[1].remotePort());
    }

    @Test
    void rejectsInvalidSpecs() {
        assertThrows(IllegalArgumentException.class, () -> VmSpecJson.fromJson("{\"name\":\"bad name\"}"));
        assertThrows(IllegalArgumentException.class, () -> new NicSpec("net0", "not-a-mac", NetworkAttachment.UdpTunnel.directPair(1)[0]));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("vm", 8, 1, new BootSource.Disk(), List.of(), List.of()));
    }
}
