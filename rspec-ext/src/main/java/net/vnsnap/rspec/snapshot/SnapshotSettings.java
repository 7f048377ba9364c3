package net.vnsnap.rspec.snapshot;

import java.time.Duration;
import java.util.Optional;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Pos;

/**
 * A node's snapshot settings ({@code snap:snapshot}): whether the sliver is snapshot-enabled, the default
 * mode, whether the disk is included, an optional periodic schedule and how many snapshots to keep.
 */
public record SnapshotSettings(boolean enabled, SnapshotMode mode, boolean includeDisk, Duration schedule,
        Integer retain, Pos pos) {

    /** The mode used when a request names none: VNsnap's live pre-copy. */
    public static final SnapshotMode DEFAULT_MODE = SnapshotMode.LIVE;
    /** Snapshots kept when a request names no count; older ones are deleted first. */
    public static final int DEFAULT_RETAIN = 3;
    /** Periodic snapshots closer than this would overlap a live pre-copy of a busy VM. */
    public static final Duration MIN_SCHEDULE = Duration.ofMinutes(1);

    public SnapshotSettings {
        mode = mode == null ? DEFAULT_MODE : mode;
        pos = pos == null ? Pos.NONE : pos;
    }

    /** The settings of a node that carries no snapshot element. */
    public static SnapshotSettings disabled() {
        return new SnapshotSettings(false, DEFAULT_MODE, true, null, null, Pos.NONE);
    }

    /** Enabled, live, disk included, no schedule. */
    public static SnapshotSettings enabledDefaults() {
        return new SnapshotSettings(true, DEFAULT_MODE, true, null, null, Pos.NONE);
    }

    /** The node's settings, or empty when it has no snapshot element; throws for values outside the schema. */
    public static Optional<SnapshotSettings> read(Node node) throws RSpecException {
        Optional<AnyElement> e = node.extension(SnapshotNs.NS, SnapshotNs.SNAPSHOT);
        if (e.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(fromElement(e.get(), node.clientId()));
    }

    /** The settings in force for a node: its element, or {@link #disabled()} without one. */
    public static SnapshotSettings of(Node node) throws RSpecException {
        return read(node).orElse(disabled());
    }

    /** Reads a {@code snap:snapshot} element; {@code clientId} only names the node in messages. */
    public static SnapshotSettings fromElement(AnyElement e, String clientId) throws RSpecException {
        String who = Values.who(clientId);
        Boolean enabled = Values.bool(e, "enabled", who);
        String m = e.attr("mode").orElse(null);
        SnapshotMode mode = DEFAULT_MODE;
        if (m != null) {
            mode = SnapshotMode.fromWire(m).orElseThrow(() -> RSpecException.at(e.pos(),
                    who + "snapshot mode '" + m + "' is not one of live, cow, stop"));
        }
        Boolean disk = Values.bool(e, "include_disk", who);
        Duration schedule = Values.duration(e, "schedule", who);
        Long retain = Values.integer(e, "retain", who);
        boolean on = enabled == null || enabled;
        if (schedule != null && schedule.compareTo(MIN_SCHEDULE) < 0) {
            throw RSpecException.at(e.pos(), who + "snapshot schedule '" + e.attr("schedule").get()
                    + "' is shorter than the minimum of one minute (PT1M)");
        }
        if (retain != null && retain < 1) {
            throw RSpecException.at(e.pos(), who + "snapshot retain '" + e.attr("retain").get()
                    + "' must be at least 1");
        }
        if (retain != null && retain > Integer.MAX_VALUE) {
            throw RSpecException.at(e.pos(), who + "snapshot retain '" + e.attr("retain").get() + "' is too large");
        }
        if (!on && schedule != null) {
            throw RSpecException.at(e.pos(), who + "snapshot schedule '" + e.attr("schedule").get()
                    + "' is given but the node is not snapshot-enabled (enabled='false')");
        }
        return new SnapshotSettings(on, mode, disk == null || disk, schedule,
                retain == null ? null : retain.intValue(), e.pos());
    }

    /** The retention in force: the requested count or {@link #DEFAULT_RETAIN}. */
    public int effectiveRetain() {
        return retain != null ? retain : DEFAULT_RETAIN;
    }

    public Optional<Duration> scheduleIfAny() {
        return Optional.ofNullable(schedule);
    }

    /** This value with the defaults written out, as a manifest states the settings in force. */
    public SnapshotSettings inForce() {
        return new SnapshotSettings(enabled, mode, includeDisk, schedule, enabled ? effectiveRetain() : null, pos);
    }

    /** The {@code snap:snapshot} element for these settings. */
    public AnyElement toElement() {
        AnyElement.Builder b = AnyElement.builder(SnapshotNs.NS, SnapshotNs.PREFIX, SnapshotNs.SNAPSHOT)
                .attr("enabled", enabled);
        if (enabled) {
            b.attr("mode", mode.wire()).attr("include_disk", includeDisk)
                    .attr("schedule", schedule == null ? null : schedule.toString()).attr("retain", retain);
        }
        return b.build();
    }

    /** A copy of {@code node} carrying these settings (replacing any snapshot element it had). */
    public Node applyTo(Node node) {
        return node.toBuilder().replaceExtension(SnapshotNs.NS, SnapshotNs.SNAPSHOT, toElement()).build();
    }
}
