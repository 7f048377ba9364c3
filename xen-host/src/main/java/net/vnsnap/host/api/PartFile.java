package net.vnsnap.host.api;

import java.util.Objects;

/**
 * One file of a snapshot part as it travels between hosts.
 *
 * @param path   where it lives relative to the snapshot's directory ({@code part.manifest}, {@code vms/<storeId>/memory.img},
 *               {@code channels/<vm>.<nic>.frames}, ...)
 * @param size   its size in bytes
 * @param sha256 its SHA-256, lower-case hex; the importing host checks the copy against it
 */
public record PartFile(String path, long size, String sha256) {
    public PartFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(sha256, "sha256");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
    }
}
