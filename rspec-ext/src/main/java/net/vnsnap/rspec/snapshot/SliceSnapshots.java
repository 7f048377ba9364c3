package net.vnsnap.rspec.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecPart;

/** The snapshots of a slice ({@code snap:slice_snapshots}, a child of the manifest's rspec element). */
public record SliceSnapshots(List<SnapshotRecord> records) {

    public SliceSnapshots {
        records = List.copyOf(records);
    }

    public AnyElement toElement() {
        AnyElement.Builder b = AnyElement.builder(SnapshotNs.NS, SnapshotNs.PREFIX, SnapshotNs.SLICE_SNAPSHOTS);
        for (SnapshotRecord r : records) {
            b.child(r.toElement());
        }
        return b.build();
    }

    /** The list carried by a manifest, if any. */
    public static Optional<SliceSnapshots> read(RSpec rspec) throws RSpecException {
        Optional<AnyElement> e = rspec.extension(SnapshotNs.NS, SnapshotNs.SLICE_SNAPSHOTS);
        if (e.isEmpty()) {
            return Optional.empty();
        }
        List<SnapshotRecord> out = new ArrayList<>();
        for (AnyElement c : e.get().children()) {
            if (c.is(SnapshotNs.NS, SnapshotNs.RECORD)) {
                out.add(SnapshotRecord.fromElement(c));
            }
        }
        return Optional.of(new SliceSnapshots(out));
    }

    /** A copy of {@code rspec} carrying this list in place of any earlier one (appended when there was none). */
    public RSpec applyTo(RSpec rspec) {
        RSpec.Builder b = rspec.toBuilder();
        List<RSpecPart> parts = b.parts();
        parts.removeIf(p -> p instanceof AnyElement a && a.is(SnapshotNs.NS, SnapshotNs.SLICE_SNAPSHOTS));
        parts.add(toElement());
        return b.declare(SnapshotNs.PREFIX, SnapshotNs.NS).build();
    }
}
