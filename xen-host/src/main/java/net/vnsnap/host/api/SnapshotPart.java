package net.vnsnap.host.api;

import java.util.List;
import java.util.Objects;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * One VM's part of a committed slice snapshot on one host, described so that another host can import it: the files
 * to copy, the network segments its ports were on, and the files outside the snapshot it needs where it runs.
 *
 * @param snapshotId    the slice snapshot's id
 * @param slice         its slice
 * @param epoch         the epoch of its cut
 * @param mode          how memory was captured
 * @param vm            the VM
 * @param storeId       the VM's entry in the snapshot's VM store; identifies this exact part on any host
 * @param files         every file of the part, {@code part.manifest} first
 * @param segments      the segments of the VM's switch ports (link, VNI, colour policy), to rebuild the network
 * @param requiredPaths absolute paths the restored VM reads that are not copied: its kernel and initrd and its frozen
 *                      disks; the importing host must reach them (same image catalogue or shared storage)
 */
public record SnapshotPart(String snapshotId, String slice, int epoch, SnapshotMode mode, String vm, String storeId,
        List<PartFile> files, List<SegmentSpec> segments, List<String> requiredPaths) {
    public SnapshotPart {
        Objects.requireNonNull(snapshotId, "snapshotId");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(storeId, "storeId");
        files = List.copyOf(files);
        segments = List.copyOf(segments);
        requiredPaths = List.copyOf(requiredPaths);
    }

    /** The bytes a copy moves. */
    public long bytes() {
        return files.stream().mapToLong(PartFile::size).sum();
    }
}
