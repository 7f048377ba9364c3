package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.VmSpec;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private final QemuConfig cfg = QemuConfig.defaults(Path.of("/run/x"));
    private final QemuInstancePaths paths = new QemuInstancePaths(Path.of("/run/x/vm.1"));
    private final VmSpec plain = new VmSpec("vm", 128, 1, new BootSource.Kernel(Path.of("/k"), null, ""), List.of(), List.of());

    @Test
    void readOnlyDisksOpenBothBlockNodesReadOnly() {
        VmSpec spec = plain.withDisk(new DiskSpec("disk0", Path.of("/d/a.qcow2"), "qcow2"))
                .withDisk(new DiskSpec("cidata", Path.of("/d/seed.iso"), "raw", true));
        List<String> a = QemuCommandLine.build(cfg, spec, paths, false);
        assertTrue(a.contains("{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\","
                + "\"filename\":\"/d/a.qcow2\",\"node-name\":\"disk0-file\"}}"), a.toString());
        assertTrue(a.contains("{\"driver\":\"raw\",\"node-name\":\"cidata\",\"read-only\":true,\"file\":{\"driver\":\"file\","
                + "\"filename\":\"/d/seed.iso\",\"node-name\":\"cidata-file\",\"read-only\":true}}"), a.toString());
        assertTrue(a.indexOf("virtio-blk-pci,drive=disk0,id=disk0-dev") < a.indexOf("virtio-blk-pci,drive=cidata,id=cidata-dev"));
    }

    @Test
    void controlNicIsRestrictedUserNetworkingWithTheForward() {
        VmSpec spec = plain.withNic(new NicSpec("ctl", "52:54:00:ce:00:01", new NetworkAttachment.HostForward(2222, 22)));
        List<String> a = QemuCommandLine.build(cfg, spec, paths, false);
        assertTrue(a.contains("user,id=ctl,net=100.127.255.0/24,dhcpstart=100.127.255.15,restrict=on,"
                + "hostfwd=tcp:127.0.0.1:2222-100.127.255.15:22"), a.toString());
        assertTrue(a.contains("virtio-net-pci,netdev=ctl,mac=52:54:00:ce:00:01,id=ctl-dev"), a.toString());
        assertFalse(a.contains("-fw_cfg"), "no access channels without guest access");
    }

    @Test
    void guestAccessAddsFwCfgAndTheVirtioSerialPortAfterEveryOtherDevice() {
        List<String> a = QemuCommandLine.build(cfg, plain.withAccess(GuestAccess.of()), paths, true);
        int fw = a.indexOf("-fw_cfg");
        assertEquals("name=opt/vnsnap/users,file=/run/x/vm.1/users.txt", a.get(fw + 1));
        assertTrue(a.contains("virtserialport,bus=vser0.0,nr=1,chardev=access,name=org.vnsnap.users"), a.toString());
        assertTrue(a.contains("socket,id=access,path=/run/x/vm.1/acc.sock,server=on,wait=off"), a.toString());
        assertEquals(List.of("-incoming", "defer"), a.subList(a.size() - 2, a.size()));
        // The restore of a VM with a different host port gets the same devices.
        VmSpec ctl = plain.withNic(new NicSpec("ctl", "52:54:00:ce:00:01", new NetworkAttachment.HostForward(2222, 22)));
        List<String> b = QemuCommandLine.build(cfg, ctl.withHostForwardPort("ctl", 3333), paths, false);
        List<String> c = QemuCommandLine.build(cfg, ctl, paths, false);
        assertEquals(c.size(), b.size());
        assertEquals(c.stream().filter(s -> s.startsWith("virtio")).toList(), b.stream().filter(s -> s.startsWith("virtio")).toList());
    }
}
