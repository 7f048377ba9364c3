package net.vnsnap.host.store;

/** A file inside a snapshot directory, with the size and SHA-256 it had when the snapshot was committed. */
public record FileEntry(String name, long size, String sha256) {
}
