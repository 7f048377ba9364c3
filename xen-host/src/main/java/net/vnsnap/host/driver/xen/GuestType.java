package net.vnsnap.host.driver.xen;

import java.util.Locale;

/** How domUs are virtualized; PVH by default, PV only where Xen has shadow paging for PV live saves. */
public enum GuestType {
    /** HVM container without device model: needs HVM support; live saves use HAP (or shadow) log-dirty. */
    PVH,
    /** Classic paravirtualized guest: live saves need shadow paging (missing from Debian's 4.17.7 security build). */
    PV,
    /** PVH where Xen offers HVM with HAP or shadow, else PV. */
    AUTO;

    /** Parses {@code pvh}, {@code pv} or {@code auto}. */
    public static GuestType parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("xen.type must be pvh, pv or auto, got '" + s + "'");
        }
    }

    /** libxl's name ({@code c_info.type}, {@code b_info."type.<name>"}). */
    String libxlName() {
        if (this == AUTO) {
            throw new IllegalStateException("AUTO must be resolved first");
        }
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The concrete type for this host, or an explanation why none works.
     *
     * @throws IllegalStateException when the requested type cannot run here
     */
    GuestType resolve(HostCaps caps) {
        return switch (this) {
            case PVH -> {
                if (!caps.hvm()) {
                    throw new IllegalStateException("xen.type=pvh, but Xen reports no HVM support in virt_caps (PVH needs it); use xen.type=pv");
                }
                yield PVH;
            }
            case PV -> {
                if (!caps.pv()) {
                    throw new IllegalStateException("xen.type=pv, but Xen reports no PV support in virt_caps");
                }
                yield PV;
            }
            case AUTO -> caps.hvm() && (caps.hap() || caps.shadow()) ? PVH : PV;
        };
    }

    /** Whether live (log-dirty pre-copy) saves work for this concrete type on this host. */
    boolean liveSupported(HostCaps caps) {
        return switch (this) {
            case PVH -> caps.hap() || caps.shadow();
            case PV -> caps.shadow();
            case AUTO -> resolve(caps).liveSupported(caps);
        };
    }
}
