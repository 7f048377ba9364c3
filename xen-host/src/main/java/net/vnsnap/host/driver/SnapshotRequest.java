package net.vnsnap.host.driver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * One VM snapshot to take.
 *
 * @param mode           how memory is captured
 * @param memoryImage    the file the memory image is written to (must not exist)
 * @param cut            called at the snapshot instant while the VM is paused
 * @param progress       receives transfer progress
 * @param maxBandwidth   bytes per second the save may use; 0 = the driver's default (high, local file)
 * @param downtimeLimit  pre-copy's target for the final pause; null = the driver's default
 * @param timeout        the whole snapshot must finish within this
 */
public record SnapshotRequest(SnapshotMode mode, Path memoryImage, CutHook cut, SnapshotProgressListener progress,
                              long maxBandwidth, Duration downtimeLimit, Duration timeout) {
    public SnapshotRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(memoryImage, "memoryImage");
        cut = cut == null ? CutHook.NONE : cut;
        progress = progress == null ? SnapshotProgressListener.NONE : progress;
        timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
        if (maxBandwidth < 0) {
            throw new IllegalArgumentException("maxBandwidth must not be negative");
        }
    }

    /** A request with the driver's defaults for bandwidth, downtime and a five-minute timeout. */
    public static SnapshotRequest of(SnapshotMode mode, Path memoryImage, CutHook cut) {
        return new SnapshotRequest(mode, memoryImage, cut, null, 0, null, null);
    }

    public SnapshotRequest withProgress(SnapshotProgressListener listener) {
        return new SnapshotRequest(mode, memoryImage, cut, listener, maxBandwidth, downtimeLimit, timeout);
    }

    public SnapshotRequest withMaxBandwidth(long bytesPerSecond) {
        return new SnapshotRequest(mode, memoryImage, cut, progress, bytesPerSecond, downtimeLimit, timeout);
    }

    public SnapshotRequest withTimeout(Duration t) {
        return new SnapshotRequest(mode, memoryImage, cut, progress, maxBandwidth, downtimeLimit, t);
    }
}
