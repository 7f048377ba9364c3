package net.vnsnap.host.api;

import java.util.Objects;
import net.vnsnap.host.vswitch.ColourPolicy;

/**
 * One L2 segment of a slice: a GENI link or LAN.
 *
 * @param slice  the slice URN (or any id unique per slice)
 * @param link   the link's client_id
 * @param vni    the segment's id on tunnels (the same on every host)
 * @param policy how frames crossing a snapshot cut are treated
 */
public record SegmentSpec(String slice, String link, int vni, ColourPolicy policy) {
    public SegmentSpec {
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(link, "link");
        Objects.requireNonNull(policy, "policy");
        if (vni < 1 || vni > 0xFFFFFF) {
            throw new IllegalArgumentException("vni must be 1..16777215, got " + vni);
        }
    }
}
