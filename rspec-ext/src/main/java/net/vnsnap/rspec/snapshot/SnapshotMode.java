package net.vnsnap.rspec.snapshot;

import java.util.Locale;
import java.util.Optional;

/** How a VM's state is captured: pre-copy (VNsnap), copy-on-write at one cut instant, or stop-and-copy. */
public enum SnapshotMode {
    /** Pre-copy memory while the VM runs, pausing it only for the last dirty pages (VNsnap's method). */
    LIVE("live"),
    /** Pause once at the cut instant and copy pages on first write afterwards. */
    COW("cow"),
    /** Stop the VM for the whole copy: the baseline with the longest downtime. */
    STOP("stop");

    private final String wire;

    SnapshotMode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Optional<SnapshotMode> fromWire(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (SnapshotMode m : values()) {
            if (m.wire.equals(t)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
