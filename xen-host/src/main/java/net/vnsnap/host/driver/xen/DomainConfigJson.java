package net.vnsnap.host.driver.xen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.VmSpec;

/**
 * Builds and edits {@code libxl_domain_config} as libxl's own JSON (the format of
 * {@code libxl_domain_config_to_json}), so the driver never mirrors the big C structs.
 */
final class DomainConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DomainConfigJson() {
    }

    /**
     * The configuration that creates a VM: direct kernel boot, one raw disk per {@link DiskSpec} (xvda, xvdb, ...
     * through blkback with Xen's {@code block} script), one vif per NIC with the driver's bridge-less vif script.
     *
     * @throws IllegalArgumentException for what Xen domUs here cannot have (disk boot, qcow2, host forwards)
     */
    static String forCreate(VmSpec spec, GuestType type, Path vifScript) {
        if (!(spec.boot() instanceof BootSource.Kernel k)) {
            throw new IllegalArgumentException("Xen domUs boot a kernel directly (PVH/PV); disk boot is not supported");
        }
        ObjectNode root = JSON.createObjectNode();
        ObjectNode c = root.putObject("c_info");
        c.put("type", type.libxlName());
        c.put("name", spec.name());
        // libxl leaves a missing UUID nil (xl generates one); every domain gets its own.
        c.put("uuid", java.util.UUID.randomUUID().toString());
        ObjectNode b = root.putObject("b_info");
        b.put("max_vcpus", spec.vcpus());
        ArrayNode avail = b.putArray("avail_vcpus");
        for (int i = 0; i < spec.vcpus(); i++) {
            avail.add(i);
        }
        long kb = spec.memoryMiB() * 1024L;
        b.put("max_memkb", kb);
        b.put("target_memkb", kb);
        b.put("kernel", k.kernel().toAbsolutePath().toString());
        if (k.initrd() != null) {
            b.put("ramdisk", k.initrd().toAbsolutePath().toString());
        }
        b.put("cmdline", k.cmdline());
        b.putObject("type." + type.libxlName());
        ArrayNode disks = root.putArray("disks");
        for (int i = 0; i < spec.disks().size(); i++) {
            disks.add(disk(spec.disks().get(i), i));
        }
        ArrayNode nics = root.putArray("nics");
        for (int i = 0; i < spec.nics().size(); i++) {
            nics.add(nic(spec.nics().get(i), i, vifScript));
        }
        root.put("on_poweroff", "destroy");
        root.put("on_reboot", "destroy");
        root.put("on_crash", "preserve");
        return root.toString();
    }

    private static ObjectNode disk(DiskSpec d, int index) {
        if (!"raw".equals(d.format())) {
            throw new IllegalArgumentException("disk " + d.id() + ": the Xen driver uses raw disk images (copied at each snapshot), not "
                    + d.format());
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("pdev_path", d.image().toAbsolutePath().toString());
        n.put("vdev", vdev(index));
        n.put("backend", "phy");
        n.put("format", "raw");
        n.put("script", "block");
        n.put("readwrite", 1);
        return n;
    }

    private static ObjectNode nic(NicSpec nic, int devid, Path vifScript) {
        if (!(nic.attachment() instanceof NetworkAttachment.UdpTunnel)) {
            throw new IllegalArgumentException("NIC " + nic.id() + ": the Xen driver connects NICs to UDP tunnels only (no host forwards)");
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("devid", devid);
        n.put("mac", nic.mac());
        n.put("nictype", "vif");
        n.put("script", vifScript.toAbsolutePath().toString());
        return n;
    }

    /** Xen's virtual disk name for the disk at this position: xvda, xvdb, ... */
    static String vdev(int index) {
        if (index < 0 || index >= 26) {
            throw new IllegalArgumentException("at most 26 disks");
        }
        return "xvd" + (char) ('a' + index);
    }

    /** Sets {@code c_info.domid} to 0 as {@code xl save} does, so a restore gets a fresh domid. */
    static String unpinDomid(String json) {
        ObjectNode root = parse(json);
        JsonNode c = root.path("c_info");
        if (c instanceof ObjectNode co && co.has("domid")) {
            co.put("domid", 0);
        }
        return root.toString();
    }

    /**
     * The configuration a restore creates the domain with: the saved one, under the VM's name, with a fresh UUID (the
     * old domain may still exist), each disk on its fresh active copy and each vif on the current vif script.
     */
    static String forRestore(String savedJson, String name, List<Path> activeDisks, Path vifScript) {
        ObjectNode root = parse(savedJson);
        ObjectNode c = root.with("c_info");
        c.put("name", name);
        c.put("uuid", java.util.UUID.randomUUID().toString());
        c.remove("domid");
        JsonNode disks = root.path("disks");
        int n = disks.isArray() ? disks.size() : 0;
        if (n != activeDisks.size()) {
            throw new IllegalArgumentException("the image's configuration has " + n + " disk(s), the VM spec " + activeDisks.size());
        }
        for (int i = 0; i < n; i++) {
            ((ObjectNode) disks.get(i)).put("pdev_path", activeDisks.get(i).toAbsolutePath().toString());
        }
        JsonNode nics = root.path("nics");
        if (nics.isArray()) {
            for (JsonNode nic : nics) {
                ((ObjectNode) nic).put("script", vifScript.toAbsolutePath().toString());
                ((ObjectNode) nic).remove("ifname");
            }
        }
        return root.toString();
    }

    /** The MAC addresses of the configuration's vifs, in devid order. */
    static List<String> nicMacs(String json) {
        JsonNode nics = parse(json).path("nics");
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (JsonNode n : nics) {
            out.add(n.path("mac").asText());
        }
        return out;
    }

    static ObjectNode parse(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (!(n instanceof ObjectNode o)) {
                throw new IllegalArgumentException("a domain configuration must be a JSON object");
            }
            return o;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable domain configuration JSON: " + e.getOriginalMessage(), e);
        }
    }
}
