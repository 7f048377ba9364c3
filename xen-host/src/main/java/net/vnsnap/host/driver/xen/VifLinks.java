package net.vnsnap.host.driver.xen;

import java.io.IOException;
import net.vnsnap.host.driver.xen.net.FrameLink;

/** Opens the frame link of a vif by its dom0 interface name ({@code vif<domid>.<devid>}). */
@FunctionalInterface
interface VifLinks {
    FrameLink open(String ifname) throws IOException;
}
