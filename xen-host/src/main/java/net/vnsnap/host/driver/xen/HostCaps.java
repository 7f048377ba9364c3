package net.vnsnap.host.driver.xen;

/**
 * The hypervisor's virtualization capabilities (libxl_physinfo, {@code xl info}'s virt_caps) and version.
 *
 * @param version Xen's version, e.g. "4.17.5"
 * @param pv      PV guests possible
 * @param hvm     HVM (and so PVH) guests possible
 * @param hap     hardware-assisted paging (log-dirty for PVH/HVM live saves)
 * @param shadow  shadow paging, which PV live saves need for log-dirty
 */
record HostCaps(String version, boolean pv, boolean hvm, boolean hap, boolean shadow) {
}
