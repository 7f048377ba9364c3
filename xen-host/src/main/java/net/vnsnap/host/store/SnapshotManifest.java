package net.vnsnap.host.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a complete snapshot holds.
 *
 * @param id         the snapshot's id (its directory name)
 * @param vm         the VM's name at snapshot time
 * @param createdAt  commit time
 * @param files      the files in the snapshot directory with sizes and checksums
 * @param disks      the frozen disk images it refers to
 * @param attributes free-form facts (mode, downtime, hypervisor version, ...)
 */
public record SnapshotManifest(String id, String vm, Instant createdAt, List<FileEntry> files, List<DiskReference> disks,
                               Map<String, String> attributes) {
    public SnapshotManifest {
        files = List.copyOf(files);
        disks = List.copyOf(disks);
        attributes = Map.copyOf(attributes);
    }

    public long totalBytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }
}
