package net.vnsnap.rspec.validate;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.snapshot.SnapshotMode;

/**
 * What this aggregate can give a request: the sliver kinds it offers and, per kind, the snapshot modes;
 * whether disks can be snapshotted; the most snapshots it keeps per sliver.
 */
public record AggregateProfile(Map<SliverKind, Set<SnapshotMode>> modes, boolean diskSnapshots, int maxRetain) {

    public AggregateProfile {
        EnumMap<SliverKind, Set<SnapshotMode>> m = new EnumMap<>(SliverKind.class);
        modes.forEach((k, v) -> m.put(k, Set.copyOf(EnumSet.copyOf(v))));
        modes = Map.copyOf(m);
        if (maxRetain < 1) {
            throw new IllegalArgumentException("maxRetain must be at least 1");
        }
    }

    /** Both sliver kinds with every mode, disks included, up to 32 snapshots per sliver. */
    public static AggregateProfile defaults() {
        Map<SliverKind, Set<SnapshotMode>> m = new EnumMap<>(SliverKind.class);
        for (SliverKind k : SliverKind.values()) {
            m.put(k, EnumSet.allOf(SnapshotMode.class));
        }
        return new AggregateProfile(m, true, 32);
    }

    public boolean offers(SliverKind k) {
        return modes.containsKey(k);
    }

    public Set<SnapshotMode> modesFor(SliverKind k) {
        return modes.getOrDefault(k, Set.of());
    }
}
