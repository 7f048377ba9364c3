package net.vnsnap.host.driver.qemu;

import net.vnsnap.host.config.HostConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;

/** Test helpers: specs for the test guest, disks, and waiting for the guest to come up. */
final class QemuVms {
    static final Pattern UP = Pattern.compile("USERSPACE-UP name=(\\S+)");
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
    /** UDP ports for NICs; each test run takes fresh ones so parallel leftovers never clash. */
    private static final AtomicInteger PORTS = new AtomicInteger(43000 + (int) (ProcessHandle.current().pid() % 500) * 20);

    private QemuVms() {
    }

    static int ports(int n) {
        return PORTS.getAndAdd(n);
    }

    /** A guest with one NIC on a UDP tunnel and the given workload commands ("+" for spaces is done here). */
    static VmSpec guest(String name, int memMiB, String ip, NetworkAttachment net, String... work) throws IOException, InterruptedException {
        StringBuilder cmd = new StringBuilder(HostConfig.DEFAULT_CMDLINE + " vm.name=" + name + " vm.ip=" + ip);
        for (int i = 0; i < work.length; i++) {
            cmd.append(i == 0 ? " vm.work=" : " vm.work" + (i + 1) + "=").append(work[i].replace(' ', '+'));
        }
        VmSpec spec = new VmSpec(name, memMiB, 1, new BootSource.Kernel(TestGuest.kernel(), TestGuest.initrd(), cmd.toString()),
                List.of(), List.of());
        int lastOctet = Integer.parseInt(ip.replaceAll(".*\\.(\\d+)/.*", "$1"));
        return spec.withNic(new NicSpec("net0", String.format("52:54:00:12:34:%02x", lastOctet), net));
    }

    /** A NIC tunnel to a port where nobody listens: frames vanish, as with an idle switch port. */
    static NetworkAttachment loneTunnel() {
        int p = ports(2);
        return new NetworkAttachment.UdpTunnel("127.0.0.1", p, "127.0.0.1", p + 1);
    }

    static DiskSpec qcow2Disk(QemuDriver driver, Path dir, String id, int mib) throws DriverException {
        Path img = dir.resolve(id + ".qcow2");
        driver.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), mib + "M"), "create a test disk");
        return new DiskSpec(id, img, "qcow2");
    }

    static ConsoleLog console(QemuDriver d, String vm) throws DriverException {
        return new ConsoleLog(d.consoleLog(vm).orElseThrow());
    }

    static ConsoleLog boot(QemuDriver d, VmSpec spec) throws DriverException, InterruptedException {
        d.create(spec);
        d.start(spec.name());
        ConsoleLog log = console(d, spec.name());
        log.await(UP, 0, BOOT_TIMEOUT);
        return log;
    }
}
