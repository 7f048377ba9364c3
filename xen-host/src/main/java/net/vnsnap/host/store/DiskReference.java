package net.vnsnap.host.store;

/**
 * A frozen disk image the snapshot refers to (it lives outside the snapshot directory, under the VM's
 * overlay chain), with its size and checksum at commit time.
 */
public record DiskReference(String id, String path, String format, long size, String sha256) {
}
