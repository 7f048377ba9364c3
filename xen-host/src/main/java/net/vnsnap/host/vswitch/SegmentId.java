package net.vnsnap.host.vswitch;

import java.util.Objects;

/** Names one L2 segment: a GENI link or LAN of one slice. */
public record SegmentId(String sliceId, String linkId) {
    public SegmentId {
        Objects.requireNonNull(sliceId, "sliceId");
        Objects.requireNonNull(linkId, "linkId");
    }

    @Override
    public String toString() {
        return sliceId + "/" + linkId;
    }
}
