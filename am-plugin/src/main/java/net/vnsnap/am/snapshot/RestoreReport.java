package net.vnsnap.am.snapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.vnsnap.host.api.VmInfo;

/**
 * What a restore did.
 *
 * @param snapshotId    the snapshot restored
 * @param slice         its slice
 * @param snapshotEpoch the epoch of the snapshot's cut
 * @param epoch         the new epoch the restored slice runs in (greater than every epoch before)
 * @param resumeAt      the common instant every host was told to resume its VMs at
 * @param vmsByHost     the restored VMs as each host reported them after resuming (with their measured resume instants)
 * @param resumeSpread  latest minus earliest instant at which a host answered resumeRestored, as the coordinator saw it
 * @param duration      from the restore request to the last host's answer
 * @param resumeSkew    the measured resume skew: latest minus earliest {@link VmInfo#resumedAt} over all VMs, each taken by
 *                      its host right after the hypervisor resumed the VM; null when some host did not report an instant
 * @param placement     where each VM now runs (VM name to host id); differs from the snapshot's placement for moved VMs
 * @param copiedBytes   bytes of snapshot parts copied to other hosts for this restore (0 without moves, or when the
 *                      targets already held the parts)
 */
public record RestoreReport(String snapshotId, String slice, int snapshotEpoch, int epoch, Instant resumeAt,
        Map<String, List<VmInfo>> vmsByHost, Duration resumeSpread, Duration duration, Duration resumeSkew,
        Map<String, String> placement, long copiedBytes) {
    public RestoreReport {
        vmsByHost = Map.copyOf(vmsByHost);
        placement = Map.copyOf(placement);
    }

}
