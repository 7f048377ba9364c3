package net.vnsnap.rspec.snapshot;

import java.util.Locale;
import java.util.Optional;

/** Where a slice snapshot is in its life. */
public enum SnapshotState {
    PENDING("pending"),
    IN_PROGRESS("in_progress"),
    COMPLETE("complete"),
    FAILED("failed");

    private final String wire;

    SnapshotState(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Optional<SnapshotState> fromWire(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (SnapshotState v : values()) {
            if (v.wire.equals(t)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
