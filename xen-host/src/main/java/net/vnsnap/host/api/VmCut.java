package net.vnsnap.host.api;

import java.time.Duration;
import java.time.Instant;
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
 */
public record VmCut(String vm, Instant cutAt, Duration downtime, Duration total, long memoryBytes, long diskBytes,
        Map<String, Duration> phases) {
    public VmCut {
        phases = Map.copyOf(phases);
    }
}
