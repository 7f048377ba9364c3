package net.vnsnap.host.api;

import java.time.Instant;
import java.util.List;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * A snapshot as one host holds it.
 *
 * @param snapshotId      the slice snapshot's id
 * @param slice           its slice
 * @param epoch           the epoch of its cut
 * @param mode            how memory was captured
 * @param complete        true once committed (durable and verified)
 * @param createdAt       when it was committed on this host
 * @param vms             the VMs' cuts
 * @param bytes           total bytes on disk (memory, disk state, channel state)
 * @param framesRecorded  in-flight frames stored as channel state
 * @param framesHeld      post-cut frames held back until their receiver's cut
 * @param framesDropped   frames dropped by the colouring policy or a full buffer
 */
public record HostSnapshot(String snapshotId, String slice, int epoch, SnapshotMode mode, boolean complete, Instant createdAt,
        List<VmCut> vms, long bytes, long framesRecorded, long framesHeld, long framesDropped) {
    public HostSnapshot {
        vms = List.copyOf(vms);
    }
}
