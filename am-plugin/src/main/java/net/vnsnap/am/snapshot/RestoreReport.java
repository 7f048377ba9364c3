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
 * @param vmsByHost     the restored VMs as each host reported them after resuming
 * @param resumeSpread  latest minus earliest instant at which a host answered resumeRestored, as the coordinator
 *                      saw it: an estimate of the resume skew, since the contract returns no per-VM resume time
 * @param duration      from the restore request to the last host's answer
 */
public record RestoreReport(String snapshotId, String slice, int snapshotEpoch, int epoch, Instant resumeAt,
        Map<String, List<VmInfo>> vmsByHost, Duration resumeSpread, Duration duration) {
    public RestoreReport {
        vmsByHost = Map.copyOf(vmsByHost);
    }
}
