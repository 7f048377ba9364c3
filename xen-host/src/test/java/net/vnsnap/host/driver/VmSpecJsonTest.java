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
    void roundTripsGuestAccessAndHostForwardAndReadsOldSpecsWithoutThem() {
        VmSpec plain = new VmSpec("vm2", 128, 1, new BootSource.Kernel(Path.of("/g/vmlinux"), null, ""), List.of(), List.of());
        String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOjntZt6C7z0M/SvfosOSlOW2/nvt3PCoNbhOirAM0fd a@x";
        VmSpec spec = plain.withNic(new NicSpec("ctl", "52:54:00:ce:00:01", new NetworkAttachment.HostForward(2222, 22)))
                .withAccess(GuestAccess.of(new GuestUser("alice", key)));
        assertEquals(spec, VmSpecJson.fromJson(VmSpecJson.toJson(spec)));
        String old = "{\"name\":\"vm2\",\"memoryMiB\":128,\"vcpus\":1,\"boot\":{\"type\":\"kernel\",\"kernel\":\"/g/vmlinux\","
                + "\"initrd\":null,\"cmdline\":\"\"},\"disks\":[],\"nics\":[]}";
        assertEquals(plain, VmSpecJson.fromJson(old), old);
        VmSpec moved = spec.withHostForwardPort("ctl", 3333);
        assertEquals(new NetworkAttachment.HostForward("127.0.0.1", 3333, 22), moved.nics().get(0).attachment());
        assertEquals(spec.access(), moved.access());
        assertThrows(IllegalArgumentException.class, () -> spec.withHostForwardPort("net0", 1));
        assertThrows(IllegalArgumentException.class, () -> GuestAccess.of(new GuestUser("a"), new GuestUser("a")));
    }

    @Test
    void roundTripsADiskBootedSpecWithAReadOnlySeedAndReadsOldDisksAsWritable() {
        VmSpec spec = new VmSpec("vm3", 256, 1, new BootSource.Disk(), List.of(new DiskSpec("disk0", Path.of("/d/a.qcow2"), "qcow2"),
                new DiskSpec("cidata", Path.of("/d/seed.iso"), "raw", true)), List.of());
        VmSpec back = VmSpecJson.fromJson(VmSpecJson.toJson(spec));
        assertEquals(spec, back);
        assertEquals(List.of(false, true), back.disks().stream().map(DiskSpec::readOnly).toList());
        assertEquals(true, back.disks().get(1).withImage(Path.of("/r/o.qcow2"), "qcow2").readOnly(), "an overlay keeps the flag");
        String old = "{\"name\":\"vm3\",\"memoryMiB\":128,\"vcpus\":1,\"boot\":{\"type\":\"disk\"},"
                + "\"disks\":[{\"id\":\"disk0\",\"image\":\"/d/a.qcow2\",\"format\":\"qcow2\"}],\"nics\":[]}";
        assertEquals(false, VmSpecJson.fromJson(old).disks().get(0).readOnly());
    }

    @Test
    void rejectsInvalidSpecs() {
        assertThrows(IllegalArgumentException.class, () -> VmSpecJson.fromJson("{\"name\":\"bad name\"}"));
        assertThrows(IllegalArgumentException.class, () -> new NicSpec("net0", "not-a-mac", NetworkAttachment.UdpTunnel.directPair(1)[0]));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("vm", 8, 1, new BootSource.Disk(), List.of(), List.of()));
    }
}
