package net.vnsnap.host.driver;

import java.time.Duration;

/**
 * A VM loaded from a snapshot and paused.
 *
 * @param loadTime   from starting the hypervisor process to the state being loaded
 * @param activeSpec the VM's devices as running now (disks are the new overlays)
 */
public record RestoreResult(Duration loadTime, VmSpec activeSpec) {
}
