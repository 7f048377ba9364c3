package net.vnsnap.am.catalog;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One VM's part of a slice snapshot.
 *
 * @param vm          the VM's name on its host
 * @param host        the host id that holds its images
 * @param cutAt       when the VM paused at its cut (the host's timestamp), null until taken
 * @param downtime    how long it stayed paused, null until taken
 * @param memoryBytes size of its memory image
 * @param diskBytes   size of its frozen disk state (0 without disk)
 */
public record VmEntry(String vm, String host, Instant cutAt, Duration downtime, long memoryBytes, long diskBytes) {
    public VmEntry {
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(host, "host");
    }

    /** A VM planned into a snapshot, not yet cut. */
    public static VmEntry planned(String vm, String host) {
        return new VmEntry(vm, host, null, null, 0, 0);
    }
}
