package net.vnsnap.host.agent;

import java.util.List;
import java.util.Map;

/**
 * The durable record of one slice snapshot on this host, written last at commit: its VMs, where each VM's
 * image lives in the snapshot directory, and the channel state recorded at each VM port.
 *
 * @param snapshotId     the slice snapshot's id
 * @param slice          the slice
 * @param epoch          the cut's epoch
 * @param mode           the snapshot mode's name
 * @param includeDisk    whether the plan asked for disk state
 * @param createdAt      commit time (RFC 3339)
 * @param vms            one entry per VM
 * @param framesHeld     post-cut frames the VMs' ports held back (port totals at commit)
 * @param framesDropped  frames the VMs' ports dropped (port totals at commit)
 */
public record SliceManifest(String snapshotId, String slice, int epoch, String mode, boolean includeDisk, String createdAt,
        List<VmEntry> vms, long framesHeld, long framesDropped) {
    public SliceManifest {
        vms = List.copyOf(vms);
    }

    /**
     * One VM of the snapshot.
     *
     * @param vm              the VM's name
     * @param storeId         its entry in the snapshot's VM store ({@code vms/<storeId>})
     * @param cutAt           when it paused at the cut (RFC 3339)
     * @param downtimeMicros  how long it stayed paused
     * @param totalMicros     request to image written
     * @param memoryBytes     memory image size
     * @param diskBytes       frozen disk size
     * @param phaseMicros     host-side duration of each step, in order
     * @param ports           its switch ports and their channel state
     */
    public record VmEntry(String vm, String storeId, String cutAt, long downtimeMicros, long totalMicros, long memoryBytes,
            long diskBytes, Map<String, Long> phaseMicros, List<PortEntry> ports) {
        public VmEntry {
            phaseMicros = Map.copyOf(phaseMicros);
            ports = List.copyOf(ports);
        }
    }

    /**
     * One VM port with the frames recorded there as the snapshot's channel state.
     *
     * @param nic     the VM's NIC id
     * @param link    the segment's link id (of the snapshot's slice)
     * @param vni     the segment's VNI, so a restore can rebuild the segment
     * @param policy  the segment's colour policy name
     * @param file    the channel-state file, relative to the snapshot directory
     * @param frames  how many frames it holds
     * @param bytes   its size
     * @param sha256  its checksum
     */
    public record PortEntry(String nic, String link, int vni, String policy, String file, int frames, long bytes, String sha256) {
    }

    public long framesRecorded() {
        return vms.stream().flatMap(v -> v.ports().stream()).mapToLong(PortEntry::frames).sum();
    }
}
