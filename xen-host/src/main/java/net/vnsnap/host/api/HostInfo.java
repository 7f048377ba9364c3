package net.vnsnap.host.api;

import java.util.List;
import java.util.Set;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * A host as the AM sees it.
 *
 * @param hostId            the name the operator gave the host (unique within the AM)
 * @param hypervisor        "qemu" or "xen"
 * @param hypervisorVersion the hypervisor's version (restores need a compatible one)
 * @param accelerator       "tcg", "kvm", "pvh", ...
 * @param modes             snapshot modes this host can take consistently
 * @param freeSnapshotBytes free space in the snapshot store
 * @param tunnelEndpoint    {@code host:port} other hosts' switches send this host's tunnel traffic to
 * @param images            disk images (by short name) VMs can be created from
 * @param maxVms            how many VMs the operator lets this host run
 * @param runningVms        how many it runs now
 * @param guestAccess       whether its VMs can get guest access (SSH users, {@code VmRequest#users}); the Xen driver has
 *                          no guest-access channel yet
 */
public record HostInfo(String hostId, String hypervisor, String hypervisorVersion, String accelerator, Set<SnapshotMode> modes,
        long freeSnapshotBytes, String tunnelEndpoint, List<String> images, int maxVms, int runningVms, boolean guestAccess) {
    public HostInfo {
        modes = Set.copyOf(modes);
        images = List.copyOf(images);
    }

    /** A host whose VMs can get guest access. */
    public HostInfo(String hostId, String hypervisor, String hypervisorVersion, String accelerator, Set<SnapshotMode> modes,
            long freeSnapshotBytes, String tunnelEndpoint, List<String> images, int maxVms, int runningVms) {
        this(hostId, hypervisor, hypervisorVersion, accelerator, modes, freeSnapshotBytes, tunnelEndpoint, images, maxVms, runningVms, true);
    }
}
