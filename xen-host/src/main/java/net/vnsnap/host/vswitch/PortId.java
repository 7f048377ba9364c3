package net.vnsnap.host.vswitch;

import java.util.Objects;

/** Names one port of a segment, typically after the VM interface attached to it. */
public record PortId(SegmentId segment, String name) {
    public PortId {
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return segment + "/" + name;
    }
}
