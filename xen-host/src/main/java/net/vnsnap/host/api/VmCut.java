package net.vnsnap.host.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One VM's part of a taken snapshot.
 *
 * @param vm           the VM
 * @param cutAt        when the VM paused at its cut (the hypervisor's timestamp)
 * @param downtime     how long it stayed paused
 * @param total        from the request to the image being written
 * @param memoryBytes  size of the memory image
 * @param diskBytes    size of the frozen disk state (0 without disk)
 * @param phases       host-side duration of each step, in order (pre-copy, pause, disk, cut, save, ...)
 * @param startedAt    the host's wall-clock instant the first phase began, so that phase i spans the sum of the
 *                     durations before it onwards; null when unknown (older hosts, snapshots read back from disk)
 */
public record VmCut(String vm, Instant cutAt, Duration downtime, Duration total, long memoryBytes, long diskBytes,
        Map<String, Duration> phases, Instant startedAt) {
    public VmCut {
        phases = Collections.unmodifiableMap(new LinkedHashMap<>(phases));
    }

    /** A cut whose phases' start instant is unknown. */
    public VmCut(String vm, Instant cutAt, Duration downtime, Duration total, long memoryBytes, long diskBytes,
            Map<String, Duration> phases) {
        this(vm, cutAt, downtime, total, memoryBytes, diskBytes, phases, null);
    }
}
