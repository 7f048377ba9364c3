package net.vnsnap.host.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Copies raw disk images: a reflink (constant time) where the file system has them (btrfs, XFS), otherwise a sparse
 * full copy. The snapshot copies while the domain is suspended, so this time is part of the downtime.
 */
public final class RawDisks {
    private RawDisks() {
    }

    /** Copies {@code from} to {@code to} (parent directories created), as a reflink where possible. */
    public static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.toAbsolutePath().getParent());
        Process p = new ProcessBuilder("cp", "--reflink=auto", "--sparse=always", from.toAbsolutePath().toString(),
                to.toAbsolutePath().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("copying " + from + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted copying " + from, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("cannot copy " + from + " to " + to + ": " + out.strip());
        }
    }
}
