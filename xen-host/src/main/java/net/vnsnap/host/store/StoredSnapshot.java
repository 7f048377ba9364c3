package net.vnsnap.host.store;

import java.nio.file.Path;

/**
 * A complete snapshot that passed verification.
 *
 * @param manifest     its manifest
 * @param memoryImage  the memory image file
 * @param deviceConfig the device description written at commit
 */
public record StoredSnapshot(SnapshotManifest manifest, Path memoryImage, String deviceConfig) {
}
