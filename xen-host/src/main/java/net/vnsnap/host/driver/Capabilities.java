package net.vnsnap.host.driver;

import java.util.Set;

/**
 * What a hypervisor driver offers.
 *
 * @param hypervisor short name, e.g. "qemu" or "xen"
 * @param version    the hypervisor's version string
 * @param accelerator how guests execute, e.g. "tcg", "kvm" or "pv"
 * @param modes      the snapshot modes this driver can take consistently on this host
 */
public record Capabilities(String hypervisor, String version, String accelerator, Set<SnapshotMode> modes) {
    public Capabilities {
        modes = Set.copyOf(modes);
    }
}
