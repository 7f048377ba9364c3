package net.vnsnap.host.driver;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A completed VM snapshot.
 *
 * @param mode          the mode used
 * @param cutAt         when the VM paused at the snapshot instant (hypervisor timestamp)
 * @param downtime      how long the VM was paused, from the hypervisor's pause/resume event timestamps
 * @param total         from the request to the memory image being complete
 * @param bytesWritten  size of the memory image
 * @param ramBytes      the guest's RAM size
 * @param frozenSpec    the VM's devices with each disk pointing at its frozen (snapshot) image
 * @param hypervisorVersion the version that wrote the image; restore needs a compatible one
 * @param phases        host-side duration of each step, in order, to show where the time (and the pause) went
 * @param startedAt     the wall-clock instant the first phase began (the phases follow each other from there), null
 *                      when unknown
 */
public record SnapshotResult(SnapshotMode mode, Instant cutAt, Duration downtime, Duration total, long bytesWritten,
                             long ramBytes, VmSpec frozenSpec, String hypervisorVersion, Map<String, Duration> phases,
                             Instant startedAt) {
    public SnapshotResult {
        phases = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phases));
    }

    /** A result whose phases' start instant is unknown. */
    public SnapshotResult(SnapshotMode mode, Instant cutAt, Duration downtime, Duration total, long bytesWritten,
                          long ramBytes, VmSpec frozenSpec, String hypervisorVersion, Map<String, Duration> phases) {
        this(mode, cutAt, downtime, total, bytesWritten, ramBytes, frozenSpec, hypervisorVersion, phases, null);
    }
}
