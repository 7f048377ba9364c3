package net.vnsnap.host.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration keys, defaults, relative paths and the messages for bad or missing keys. */
class HostConfigTest {
    private static final String AM = "urn:publicid:IDN+vnsnap:test:am+authority+am";

    @TempDir
    Path tmp;

    private Properties props(String text) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }

    private String minimal() {
        return "host.id=h1\nidentity.cert=id/cert.pem\nidentity.key=id/key.pem\ntrust.roots=roots\nallowed.callers=" + AM + "\n";
    }

    @Test
    void defaultsApplyAndRelativePathsResolveAgainstTheFile() throws Exception {
        Files.write(tmp.resolve("vmlinux"), new byte[1]);
        Path f = tmp.resolve("hostd.properties");
        Files.writeString(f, minimal() + "image.guest.kernel=vmlinux\n");
        HostConfig c = HostConfig.load(f);
        assertEquals("h1", c.hostId());
        assertEquals("0.0.0.0", c.listenAddress());
        assertEquals(12346, c.listenPort());
        assertEquals(tmp.resolve("id/cert.pem"), c.identityCert());
        assertEquals(Path.of("/var/lib/vnsnap-hostd/snapshots"), c.storeDirectory());
        assertEquals(Path.of("/var/lib/vnsnap-hostd/run"), c.runDirectory());
        assertEquals(4790, c.tunnelBindPort());
        assertNull(c.tunnelAdvertise());
        assertEquals("tcg", c.qemuAccelerator());
        assertEquals(8, c.maxVms());
        assertEquals(42000, c.vmPortFirst());
        assertEquals(42999, c.vmPortLast());
        assertEquals(HostConfig.ShutdownPolicy.DESTROY, c.shutdownPolicy());
        assertEquals(Duration.ofMillis(200), c.commitGrace());
        assertEquals(tmp.resolve("vmlinux"), c.images().get("guest").kernel());
        assertEquals(HostConfig.DEFAULT_CMDLINE, c.images().get("guest").cmdline());
        assertEquals("127.0.0.1", c.sshAddress(), "a wildcard listen address is no place to send experimenters");
        assertEquals("127.0.0.1", c.sshBind());
        assertEquals(22000, c.sshPortFirst());
        assertEquals(22999, c.sshPortLast());
    }

    @Test
    void xenKeys() throws Exception {
        Files.write(tmp.resolve("vmlinuz"), new byte[1]);
        HostConfig q = HostConfig.parse(props(minimal()), tmp, "t");
        assertEquals("qemu", q.hypervisor());
        assertEquals(HostConfig.Xen.defaults(), q.xen());
        HostConfig c = HostConfig.parse(props(minimal() + "hypervisor=xen\nimage.domu.kernel=vmlinuz\n"), tmp, "t");
        assertEquals("xen", c.hypervisor());
        assertEquals("pvh", c.xen().type());
        assertEquals(Path.of("/var/log/xen/console"), c.xen().consoleDir());
        assertEquals("info", c.xen().logLevel());
        assertEquals(HostConfig.DEFAULT_XEN_CMDLINE, c.images().get("domu").cmdline(), "domU consoles are on hvc0");
        c = HostConfig.parse(props(minimal() + "hypervisor=xen\nxen.type=auto\nxen.console.dir=cons\nxen.log.level=debug\n"), tmp, "t");
        assertEquals("auto", c.xen().type());
        assertEquals(tmp.resolve("cons"), c.xen().consoleDir());
        assertEquals("debug", c.xen().logLevel());
        assertTrue(fails(minimal() + "hypervisor=kvm\n").contains("hypervisor 'kvm' is not supported (qemu or xen)"));
        assertTrue(fails(minimal() + "hypervisor=xen\nxen.type=hvm\n").contains("xen.type must be pvh, pv or auto"));
        assertTrue(fails(minimal() + "xen.log.level=loud\n").contains("xen.log.level must be"));
        // Xen domUs boot from a kernel and read raw disks: other images are refused when the file is read.
        Files.write(tmp.resolve("disk.qcow2"), new byte[1]);
        Files.write(tmp.resolve("disk.raw"), new byte[1]);
        assertTrue(fails(minimal() + "hypervisor=xen\nimage.c.boot=disk\nimage.c.disk=disk.raw\n").contains("does not do; give it image.c.kernel"));
        assertTrue(fails(minimal() + "hypervisor=xen\nimage.d.kernel=vmlinuz\nimage.d.disk=disk.qcow2\n").contains("reads raw disks only"));
        assertEquals(tmp.resolve("disk.raw"), HostConfig.parse(props(minimal() + "hypervisor=xen\nimage.d.kernel=vmlinuz\nimage.d.disk=disk.raw\n"),
                tmp, "t").images().get("d").disk());
        assertEquals(tmp.resolve("disk.qcow2"), HostConfig.parse(props(minimal() + "image.d.kernel=vmlinuz\nimage.d.disk=disk.qcow2\n"), tmp, "t")
                .images().get("d").disk(), "QEMU reads qcow2 disks");
    }

    @Test
    void sshKeysSetWhereExperimentersConnect() throws Exception {
        HostConfig c = HostConfig.parse(props(minimal() + "listen.address=10.0.0.5\n"), tmp, "t");
        assertEquals("10.0.0.5", c.sshAddress(), "defaults to the listen address");
        assertEquals("10.0.0.5", c.sshBind());
        c = HostConfig.parse(props(minimal() + "ssh.address=host1.example.org\nssh.bind=0.0.0.0\nssh.ports=23000-23009\n"), tmp, "t");
        assertEquals("host1.example.org", c.sshAddress());
        assertEquals("0.0.0.0", c.sshBind());
        assertEquals(23000, c.sshPortFirst());
        assertEquals(23009, c.sshPortLast());
        assertTrue(fails(minimal() + "ssh.ports=22\n").contains("ssh.ports must be FIRST-LAST"));
        assertTrue(fails(minimal() + "ssh.address=a b\n").contains("ssh.address must be a host name"));
    }

    @Test
    void badAndMissingKeysAreNamed() throws Exception {
        assertTrue(fails("identity.cert=a\n").contains("required key 'host.id'"));
        assertTrue(fails(minimal() + "listen.prot=1\n").contains("unknown key(s) [listen.prot]"));
        assertTrue(fails(minimal() + "listen.port=70000\n").contains("listen.port must be between 0 and 65535"));
        assertTrue(fails(minimal() + "vm.ports=5000\n").contains("vm.ports must be FIRST-LAST"));
        assertTrue(fails(minimal() + "shutdown.vms=keep\n").contains("shutdown.vms must be destroy or leave"));
        assertTrue(fails(minimal() + "hypervisor=vmware\n").contains("(qemu or xen)"));
        assertTrue(fails(minimal() + "image.g.initrd=x\n").contains("image 'g' has no image.g.kernel"));
        assertTrue(fails(minimal() + "image.g.kernel=/nonexistent/vmlinux\n").contains("does not exist"));
        assertTrue(fails(minimal().replace(AM, "alice")).contains("not a GENI URN"));
        assertTrue(fails(minimal() + "tunnel.advertise=nohostport\n").contains("tunnel.advertise must be host:port"));
        assertTrue(assertThrows(ConfigException.class, () -> HostConfig.load(tmp.resolve("missing.properties"))).getMessage()
                .contains("cannot read configuration"));
    }

    @Test
    void cloudImagesBootFromTheirDiskAndMayCarryASeed() throws Exception {
        Files.write(tmp.resolve("debian.qcow2"), new byte[1]);
        Files.write(tmp.resolve("vmlinux"), new byte[1]);
        HostConfig c = HostConfig.parse(props(minimal() + "image.deb.disk=debian.qcow2\nimage.deb.boot=disk\nimage.deb.cloudinit=true\n"
                + "image.k.kernel=vmlinux\nimage.k.cloudinit=TRUE\nimage.plain.kernel=vmlinux\n"), tmp, "t");
        var deb = c.images().get("deb");
        assertTrue(deb.bootsFromDisk() && deb.cloudInit(), deb.toString());
        assertNull(deb.kernel());
        assertEquals(tmp.resolve("debian.qcow2"), deb.disk());
        assertTrue(!c.images().get("k").bootsFromDisk() && c.images().get("k").cloudInit());
        assertTrue(!c.images().get("plain").cloudInit());
        assertTrue(fails(minimal() + "image.d.boot=disk\n").contains("boots from its disk (boot=disk) but has no image.d.disk"));
        assertTrue(fails(minimal() + "image.d.boot=disk\nimage.d.disk=debian.qcow2\nimage.d.kernel=vmlinux\n")
                .contains("image.d.kernel does not apply"));
        assertTrue(fails(minimal() + "image.d.boot=cdrom\nimage.d.disk=debian.qcow2\n").contains("image.d.boot must be kernel or disk"));
        assertTrue(fails(minimal() + "image.d.boot=disk\nimage.d.disk=debian.qcow2\nimage.d.cloudinit=yes\n")
                .contains("image.d.cloudinit must be true or false"));
        assertTrue(fails(minimal() + "image.d.boot=disk\nimage.d.disk=missing.qcow2\n").contains("does not exist"));
        assertTrue(fails(minimal() + "image.d.kind=cloud\n").contains("bad image key"));
    }

    private String fails(String text) throws Exception {
        return assertThrows(ConfigException.class, () -> HostConfig.parse(props(text), tmp, "test.properties")).getMessage();
    }
}
