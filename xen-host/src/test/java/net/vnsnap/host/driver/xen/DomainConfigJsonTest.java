package net.vnsnap.host.driver.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.VmSpec;
import org.junit.jupiter.api.Test;

/** The libxl JSON the driver generates and edits. */
class DomainConfigJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of("/run/vnsnap/xen/vif-vnsnap");

    private static VmSpec spec() {
        return new VmSpec("vm1", 256, 1, new BootSource.Kernel(Path.of("/boot/vmlinuz"), null, "console=hvc0 quiet"),
                List.of(new DiskSpec("disk0", Path.of("/d/a.raw"), "raw"), new DiskSpec("disk1", Path.of("/d/b.raw"), "raw")),
                List.of(new NicSpec("net0", "00:16:3e:00:00:0a", new NetworkAttachment.UdpTunnel("127.0.0.1", 42000, "127.0.0.1", 42001)),
                        new NicSpec("net1", "00:16:3e:00:00:0b", new NetworkAttachment.UdpTunnel("127.0.0.1", 42002, "127.0.0.1", 42003))));
    }

    @Test
    void pvhAndPvConfigurations() throws Exception {
        JsonNode pvh = JSON.readTree(DomainConfigJson.forCreate(spec(), GuestType.PVH, SCRIPT));
        assertEquals("pvh", pvh.path("c_info").path("type").asText());
        assertEquals("vm1", pvh.path("c_info").path("name").asText());
        assertEquals(36, pvh.path("c_info").path("uuid").asText().length(), "a UUID, as xl gives every domain");
        JsonNode b = pvh.path("b_info");
        assertEquals(262144, b.path("max_memkb").asLong());
        assertEquals(262144, b.path("target_memkb").asLong());
        assertEquals(1, b.path("max_vcpus").asInt());
        assertEquals("/boot/vmlinuz", b.path("kernel").asText());
        assertFalse(b.has("ramdisk"), "no initrd given");
        assertEquals("console=hvc0 quiet", b.path("cmdline").asText());
        assertTrue(b.path("type.pvh").isObject());
        assertFalse(b.has("type.pv"));
        assertEquals("xvda", pvh.path("disks").get(0).path("vdev").asText());
        assertEquals("xvdb", pvh.path("disks").get(1).path("vdev").asText());
        assertEquals("phy", pvh.path("disks").get(1).path("backend").asText());
        assertEquals("block", pvh.path("disks").get(1).path("script").asText());
        assertEquals(1, pvh.path("nics").get(1).path("devid").asInt());
        assertEquals("00:16:3e:00:00:0b", pvh.path("nics").get(1).path("mac").asText());
        assertEquals(SCRIPT.toString(), pvh.path("nics").get(0).path("script").asText());
        assertEquals("preserve", pvh.path("on_crash").asText());
        assertEquals("destroy", pvh.path("on_reboot").asText());

        JsonNode pv = JSON.readTree(DomainConfigJson.forCreate(spec(), GuestType.PV, SCRIPT));
        assertEquals("pv", pv.path("c_info").path("type").asText());
        assertTrue(pv.path("b_info").path("type.pv").isObject());
        assertThrows(IllegalStateException.class, () -> DomainConfigJson.forCreate(spec(), GuestType.AUTO, SCRIPT));
    }

    @Test
    void refusesWhatXenDomUsCannotHave() {
        VmSpec diskBoot = new VmSpec("vm1", 64, 1, new BootSource.Disk(), List.of(new DiskSpec("disk0", Path.of("/d"), "raw")), List.of());
        assertThrows(IllegalArgumentException.class, () -> DomainConfigJson.forCreate(diskBoot, GuestType.PVH, SCRIPT));
        VmSpec fwd = spec().withNic(new NicSpec("ctl", "06:00:00:00:00:01", new NetworkAttachment.HostForward(22000, 22)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DomainConfigJson.forCreate(fwd, GuestType.PVH, SCRIPT));
        assertTrue(e.getMessage().contains("ctl"), e.getMessage());
    }

    @Test
    void restoreConfigurationRenamesRepointsDisksAndDropsIdentity() throws Exception {
        String saved = "{\"c_info\":{\"type\":\"pvh\",\"name\":\"old\",\"domid\":0,\"uuid\":\"0b1e1f1e-0000-4000-8000-000000000001\"},"
                + "\"b_info\":{\"max_memkb\":131072},\"disks\":[{\"pdev_path\":\"/old/a.raw\",\"vdev\":\"xvda\"}],"
                + "\"nics\":[{\"devid\":0,\"mac\":\"00:16:3e:00:00:0a\",\"script\":\"/old/vif\",\"ifname\":\"vif3.0\"}]}";
        JsonNode r = JSON.readTree(DomainConfigJson.forRestore(saved, "vm1", List.of(Path.of("/new/a.raw")), SCRIPT));
        assertEquals("vm1", r.path("c_info").path("name").asText());
        assertFalse(r.path("c_info").path("uuid").asText().equals("0b1e1f1e-0000-4000-8000-000000000001"), "fresh UUID");
        assertFalse(r.path("c_info").has("domid"));
        assertEquals("/new/a.raw", r.path("disks").get(0).path("pdev_path").asText());
        assertEquals(SCRIPT.toString(), r.path("nics").get(0).path("script").asText());
        assertFalse(r.path("nics").get(0).has("ifname"), "the restored domain gets its own vif name");
        assertEquals(131072, r.path("b_info").path("max_memkb").asInt(), "everything else as saved");
        assertThrows(IllegalArgumentException.class, () -> DomainConfigJson.forRestore(saved, "vm1", List.of(), SCRIPT));
        assertEquals(List.of("00:16:3e:00:00:0a"), DomainConfigJson.nicMacs(saved));
    }

    @Test
    void unpinsTheDomidLikeXlSave() throws Exception {
        JsonNode j = JSON.readTree(DomainConfigJson.unpinDomid("{\"c_info\":{\"domid\":7,\"name\":\"a\"}}"));
        assertEquals(0, j.path("c_info").path("domid").asInt());
        assertEquals("a", j.path("c_info").path("name").asText());
    }
}
