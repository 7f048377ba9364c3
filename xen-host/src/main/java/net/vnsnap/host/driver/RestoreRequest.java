package net.vnsnap.host.driver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A VM to recreate from a snapshot; it is left paused until {@link HypervisorDriver#resume} is called.
 *
 * @param spec        the snapshot's devices (disks are the frozen images; the driver adds fresh overlays)
 * @param memoryImage the verified memory image
 * @param timeout     loading must finish within this
 */
public record RestoreRequest(VmSpec spec, Path memoryImage, Duration timeout) {
    public RestoreRequest {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(memoryImage, "memoryImage");
        timeout = timeout == null ? Duration.ofMinutes(2) : timeout;
    }
}
