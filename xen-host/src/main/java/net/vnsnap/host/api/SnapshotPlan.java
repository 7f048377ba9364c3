package net.vnsnap.host.api;

import java.util.List;
import java.util.Objects;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * One host's part of a slice snapshot.
 *
 * @param snapshotId  the slice snapshot's id (same on every host)
 * @param slice       the slice
 * @param epoch       the epoch ports take at their VM's cut (greater than any before)
 * @param mode        how memory is captured
 * @param includeDisk whether disk state is taken at the cut
 * @param vms         the VMs of the slice on this host
 */
public record SnapshotPlan(String snapshotId, String slice, int epoch, SnapshotMode mode, boolean includeDisk, List<String> vms) {
    public SnapshotPlan {
        Objects.requireNonNull(snapshotId, "snapshotId");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(mode, "mode");
        vms = List.copyOf(vms);
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch must be positive");
        }
    }
}
