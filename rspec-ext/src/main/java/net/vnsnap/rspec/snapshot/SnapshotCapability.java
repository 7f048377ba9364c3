package net.vnsnap.rspec.snapshot;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Node;

/**
 * What an advertised host can do ({@code snap:capability}): its hypervisor, the snapshot modes it
 * supports, free snapshot storage, whether disks can be included, and the most snapshots kept per sliver.
 */
public record SnapshotCapability(String hypervisor, Set<SnapshotMode> modes, long freeStorageBytes,
        boolean diskSnapshots, Integer maxRetain) {

    public SnapshotCapability {
        if (hypervisor == null || hypervisor.isBlank()) {
            throw new IllegalArgumentException("a capability needs a hypervisor name");
        }
        if (modes == null || modes.isEmpty()) {
            throw new IllegalArgumentException("a capability needs at least one mode");
        }
        modes = Set.copyOf(EnumSet.copyOf(modes));
        if (freeStorageBytes < 0) {
            throw new IllegalArgumentException("free storage cannot be negative");
        }
    }

    public AnyElement toElement() {
        List<String> names = new ArrayList<>();
        for (SnapshotMode m : SnapshotMode.values()) {
            if (modes.contains(m)) {
                names.add(m.wire());
            }
        }
        return AnyElement.builder(SnapshotNs.NS, SnapshotNs.PREFIX, SnapshotNs.CAPABILITY)
                .attr("hypervisor", hypervisor).attr("modes", String.join(" ", names))
                .attr("free_storage", freeStorageBytes).attr("disk", diskSnapshots).attr("max_retain", maxRetain)
                .build();
    }

    /** The capability advertised on a node, if any. */
    public static Optional<SnapshotCapability> read(Node node) throws RSpecException {
        Optional<AnyElement> o = node.extension(SnapshotNs.NS, SnapshotNs.CAPABILITY);
        if (o.isEmpty()) {
            return Optional.empty();
        }
        AnyElement e = o.get();
        String who = Values.who(node.componentId());
        Set<SnapshotMode> modes = EnumSet.noneOf(SnapshotMode.class);
        for (String m : e.attr("modes").orElse("").trim().split("\\s+")) {
            if (!m.isEmpty()) {
                modes.add(SnapshotMode.fromWire(m).orElseThrow(() -> RSpecException.at(e.pos(),
                        who + "snapshot capability mode '" + m + "' is not one of live, cow, stop")));
            }
        }
        if (modes.isEmpty()) {
            throw RSpecException.at(e.pos(), who + "snapshot capability lists no modes");
        }
        Long free = Values.integer(e, "free_storage", who);
        Boolean disk = Values.bool(e, "disk", who);
        Long max = Values.integer(e, "max_retain", who);
        return Optional.of(new SnapshotCapability(e.attr("hypervisor").orElse("unknown"), modes,
                free == null ? 0 : free, disk == null || disk, max == null ? null : max.intValue()));
    }
}
