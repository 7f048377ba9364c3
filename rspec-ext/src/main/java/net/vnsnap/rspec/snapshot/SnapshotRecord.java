package net.vnsnap.rspec.snapshot;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;

/** One snapshot of a whole slice, as a manifest lists it. */
public record SnapshotRecord(String id, String label, Instant created, SnapshotState state, SnapshotMode mode,
        long sizeBytes, List<VmSnapshot> vms) {

    public SnapshotRecord {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a snapshot record needs an id");
        }
        if (created == null || state == null || mode == null) {
            throw new IllegalArgumentException("a snapshot record needs created, state and mode");
        }
        vms = List.copyOf(vms);
    }

    AnyElement toElement() {
        AnyElement.Builder b = AnyElement.builder(SnapshotNs.NS, SnapshotNs.PREFIX, SnapshotNs.RECORD)
                .attr("id", id).attr("label", label).attr("created", DateTimeFormatter.ISO_INSTANT.format(created))
                .attr("state", state.wire()).attr("mode", mode.wire()).attr("size", sizeBytes);
        for (VmSnapshot v : vms) {
            b.child(v.toElement());
        }
        return b.build();
    }

    static SnapshotRecord fromElement(AnyElement e) throws RSpecException {
        String id = e.attr("id").orElseThrow(() -> RSpecException.at(e.pos(), "snapshot record has no id"));
        String who = "snapshot '" + id + "': ";
        Instant created;
        try {
            created = DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(e.attr("created").orElse(""), Instant::from);
        } catch (DateTimeParseException ex) {
            throw RSpecException.at(e.pos(), who + "created '" + e.attr("created").orElse("") + "' is not a date-time");
        }
        SnapshotState state = SnapshotState.fromWire(e.attr("state").orElse(null)).orElseThrow(() ->
                RSpecException.at(e.pos(), who + "state '" + e.attr("state").orElse("") + "' is unknown"));
        SnapshotMode mode = SnapshotMode.fromWire(e.attr("mode").orElse(null)).orElseThrow(() ->
                RSpecException.at(e.pos(), who + "mode '" + e.attr("mode").orElse("") + "' is unknown"));
        Long size = Values.integer(e, "size", "");
        List<VmSnapshot> vms = new ArrayList<>();
        for (AnyElement c : e.children()) {
            if (c.is(SnapshotNs.NS, SnapshotNs.VM)) {
                vms.add(VmSnapshot.fromElement(c));
            }
        }
        return new SnapshotRecord(id, e.attr("label").orElse(null), created, state, mode, size == null ? 0 : size, vms);
    }
}
