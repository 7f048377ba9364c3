package net.vnsnap.host.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What the operator decides for one host agent, independent of how it was configured.
 *
 * @param hostId          the host's name within the AM
 * @param tunnelEndpoint  {@code host:port} other hosts' switches send tunnel traffic to
 * @param images          guest images by short name
 * @param maxVms          most VMs this host runs at once
 * @param vmHost          the address VM NIC backends and switch ports bind (loopback: traffic stays on the host)
 * @param vmPortFirst     first UDP port for VM NIC backends
 * @param vmPortLast      last UDP port for VM NIC backends
 * @param diskDirectory   where per-VM disk overlays are created
 * @param qemuImg         the qemu-img binary used for disk overlays
 * @param commitGrace     wait before collecting channel state at commit (frames between hosts still in flight)
 * @param snapshotTimeout one VM's snapshot must finish within this
 * @param restoreTimeout  one VM's restore must finish within this
 * @param sshAddress      the host name or address experimenters connect to for SSH into guests (reported in VmInfo)
 * @param sshBind         the address QEMU's SSH forwards listen on
 * @param sshPortFirst    first TCP port for SSH forwards (one per VM with guest access)
 * @param sshPortLast     last TCP port for SSH forwards
 */
public record AgentSettings(String hostId, String tunnelEndpoint, Map<String, ImageSpec> images, int maxVms, String vmHost,
        int vmPortFirst, int vmPortLast, Path diskDirectory, Path qemuImg, Duration commitGrace, Duration snapshotTimeout,
        Duration restoreTimeout, String sshAddress, String sshBind, int sshPortFirst, int sshPortLast) {

    /** The SSH forward ports when the operator names none. */
    public static final int SSH_PORT_FIRST = 22000;
    public static final int SSH_PORT_LAST = 22999;

    /** Settings with SSH forwards on the loopback address and the default port range. */
    public AgentSettings(String hostId, String tunnelEndpoint, Map<String, ImageSpec> images, int maxVms, String vmHost,
            int vmPortFirst, int vmPortLast, Path diskDirectory, Path qemuImg, Duration commitGrace, Duration snapshotTimeout,
            Duration restoreTimeout) {
        this(hostId, tunnelEndpoint, images, maxVms, vmHost, vmPortFirst, vmPortLast, diskDirectory, qemuImg, commitGrace,
                snapshotTimeout, restoreTimeout, null, null, SSH_PORT_FIRST, SSH_PORT_LAST);
    }

    public AgentSettings {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(tunnelEndpoint, "tunnelEndpoint");
        images = Map.copyOf(images);
        Objects.requireNonNull(vmHost, "vmHost");
        if (maxVms < 0) {
            throw new IllegalArgumentException("maxVms must not be negative");
        }
        if (vmPortFirst < 1 || vmPortLast > 65535 || vmPortFirst > vmPortLast) {
            throw new IllegalArgumentException("bad VM port range " + vmPortFirst + "-" + vmPortLast);
        }
        Objects.requireNonNull(diskDirectory, "diskDirectory");
        qemuImg = qemuImg == null ? Path.of("qemu-img") : qemuImg;
        commitGrace = commitGrace == null ? Duration.ofMillis(200) : commitGrace;
        snapshotTimeout = snapshotTimeout == null ? Duration.ofMinutes(5) : snapshotTimeout;
        restoreTimeout = restoreTimeout == null ? Duration.ofMinutes(2) : restoreTimeout;
        sshAddress = sshAddress == null || sshAddress.isBlank() ? "127.0.0.1" : sshAddress.strip();
        sshBind = sshBind == null || sshBind.isBlank() ? sshAddress : sshBind.strip();
        if (sshPortFirst < 1 || sshPortLast > 65535 || sshPortFirst > sshPortLast) {
            throw new IllegalArgumentException("bad SSH port range " + sshPortFirst + "-" + sshPortLast);
        }
    }
}
