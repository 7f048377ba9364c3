package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.VmSpec;

/** Builds the QEMU argument list for a VM spec; the same spec always yields the same device model. */
final class QemuCommandLine {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The control NIC's private network: from the end of the shared address space (RFC 6598), so it does not
     * clash with the 10/8 and 192.168/16 addresses experiments usually use.
     */
    static final String CONTROL_NET = "100.127.255.0/24";
    /** The single address QEMU's DHCP server hands the guest first; forwards go to it. */
    static final String CONTROL_GUEST = "100.127.255.15";
    /** The fw_cfg file holding the boot-time user list; the guest reads it under /sys/firmware/qemu_fw_cfg/by_name. */
    static final String USERS_FW_CFG = "opt/vnsnap/users";
    /** The virtio-serial port name the guest looks up in /sys/class/virtio-ports. */
    static final String USERS_PORT = "org.vnsnap.users";

    private QemuCommandLine() {
    }

    static List<String> build(QemuConfig cfg, VmSpec spec, QemuInstancePaths paths, boolean incoming) {
        List<String> a = new ArrayList<>();
        a.add(cfg.qemuBinary().toString());
        a.addAll(List.of("-name", spec.name(), "-machine", cfg.machine(), "-accel", cfg.accelerator(),
                "-cpu", "kvm".equals(cfg.accelerator()) ? "host" : "max",
                "-m", Integer.toString(spec.memoryMiB()), "-smp", Integer.toString(spec.vcpus()),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-S"));
        if (spec.boot() instanceof BootSource.Kernel k) {
            a.add("-kernel");
            a.add(k.kernel().toString());
            if (k.initrd() != null) {
                a.add("-initrd");
                a.add(k.initrd().toString());
            }
            a.add("-append");
            a.add(k.cmdline());
        }
        a.add("-qmp");
        a.add("unix:" + opt(paths.qmpSocket()) + ",server=on,wait=off");
        a.add("-chardev");
        a.add("socket,id=ser0,path=" + opt(paths.serialSocket()) + ",server=on,wait=off,logfile=" + opt(paths.consoleLog()));
        a.add("-serial");
        a.add("chardev:ser0");
        for (NicSpec nic : spec.nics()) {
            if (nic.attachment() instanceof NetworkAttachment.UdpTunnel u) {
                a.add("-netdev");
                a.add("dgram,id=" + nic.id() + ",local.type=inet,local.host=" + u.localHost() + ",local.port=" + u.localPort()
                        + ",remote.type=inet,remote.host=" + u.remoteHost() + ",remote.port=" + u.remotePort());
            } else if (nic.attachment() instanceof NetworkAttachment.HostForward f) {
                // restrict=on: the guest reaches neither the host nor the outside; explicit forwards still work.
                a.add("-netdev");
                a.add("user,id=" + nic.id() + ",net=" + CONTROL_NET + ",dhcpstart=" + CONTROL_GUEST + ",restrict=on,hostfwd=tcp:"
                        + f.hostAddress() + ":" + f.hostPort() + "-" + CONTROL_GUEST + ":" + f.guestPort());
            }
            a.add("-device");
            a.add("virtio-net-pci,netdev=" + nic.id() + ",mac=" + nic.mac() + ",id=" + nic.id() + "-dev");
        }
        for (DiskSpec d : spec.disks()) {
            a.add("-blockdev");
            a.add(blockdev(d).toString());
            a.add("-device");
            a.add("virtio-blk-pci,drive=" + d.id() + ",id=" + d.id() + "-dev");
        }
        if (spec.access() != null) {
            // Last, so VMs without guest access keep the PCI layout they always had.
            a.add("-fw_cfg");
            a.add("name=" + USERS_FW_CFG + ",file=" + opt(paths.usersFile()));
            a.add("-chardev");
            a.add("socket,id=access,path=" + opt(paths.accessSocket()) + ",server=on,wait=off");
            a.add("-device");
            a.add("virtio-serial-pci,id=vser0");
            a.add("-device");
            a.add("virtserialport,bus=vser0.0,nr=1,chardev=access,name=" + USERS_PORT);
        }
        if (incoming) {
            a.add("-incoming");
            a.add("defer");
        }
        return a;
    }

    /**
     * JSON syntax needs no comma escaping in file names. A read-only disk opens both nodes read-only, and
     * virtio-blk then reports the disk read-only to the guest.
     */
    private static ObjectNode blockdev(DiskSpec d) {
        ObjectNode file = JSON.createObjectNode().put("driver", "file").put("filename", d.image().toAbsolutePath().toString())
                .put("node-name", d.id() + "-file");
        ObjectNode fmt = JSON.createObjectNode().put("driver", d.format()).put("node-name", d.id());
        if (d.readOnly()) {
            file.put("read-only", true);
            fmt.put("read-only", true);
        }
        fmt.set("file", file);
        return fmt;
    }

    /** QEMU option values escape a comma by doubling it. */
    private static String opt(Path p) {
        return p.toAbsolutePath().toString().replace(",", ",,");
    }
}
