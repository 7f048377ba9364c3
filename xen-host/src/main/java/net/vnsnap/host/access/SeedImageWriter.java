package net.vnsnap.host.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes a {@link NoCloudSeed} as an ISO 9660 image labelled {@code cidata} with Joliet and Rock Ridge names
 * (so {@code user-data} and {@code meta-data} keep their names), by running {@code genisoimage} with an
 * argument list (no shell).
 */
public final class SeedImageWriter {
    /** Debian's genisoimage; xorriso's {@code -as mkisofs} mode takes the same arguments. */
    public static final Path DEFAULT_TOOL = Path.of("genisoimage");

    private final Path tool;
    private final Duration timeout;

    /** Why writing a seed image failed. */
    public enum Failure {
        /** The tool is not installed (bin/vnsnap setup installs genisoimage). */
        TOOL_MISSING,
        /** The tool ran and failed, or did not finish in time. */
        TOOL_FAILED,
        /** The files could not be written or moved. */
        IO
    }

    /** A seed image that could not be written; {@link #failure()} says why. */
    public static final class SeedImageException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Failure failure;

        SeedImageException(Failure failure, String message, Throwable cause) {
            super(message, cause);
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    public SeedImageWriter(Path tool, Duration timeout) {
        this.tool = Objects.requireNonNull(tool, "tool");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** genisoimage from PATH, 60 s. */
    public SeedImageWriter() {
        this(DEFAULT_TOOL, Duration.ofSeconds(60));
    }

    /**
     * Writes the seed image to {@code target} (replacing it atomically when it exists; the files are staged in a
     * sibling directory that is removed afterwards).
     */
    public void write(NoCloudSeed seed, Path target) throws SeedImageException {
        Path dir = target.toAbsolutePath().getParent();
        Path staging = null;
        try {
            staging = Files.createTempDirectory(dir, ".seed-");
            Path files = Files.createDirectory(staging.resolve("cidata"));
            Files.writeString(files.resolve("meta-data"), seed.metaData(), StandardCharsets.UTF_8);
            Files.writeString(files.resolve("user-data"), seed.userData(), StandardCharsets.UTF_8);
            String net = seed.networkConfig();
            if (net != null) {
                Files.writeString(files.resolve("network-config"), net, StandardCharsets.UTF_8);
            }
            Path iso = staging.resolve("seed.iso");
            List<String> cmd = new ArrayList<>(List.of(tool.toString(), "-quiet", "-output", iso.toString(),
                    "-volid", NoCloudSeed.VOLUME_LABEL, "-joliet", "-rock", files.toString()));
            run(cmd);
            Files.move(iso, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SeedImageException(Failure.IO, "cannot write the cloud-init seed " + target + ": " + e.getMessage(), e);
        } finally {
            deleteTree(staging);
        }
    }

    private void run(List<String> cmd) throws SeedImageException, IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new SeedImageException(Failure.TOOL_MISSING, "cannot run " + tool + " to build the cloud-init seed (install the "
                    + "Debian package genisoimage; bin/vnsnap setup does): " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        // The output is tiny (genisoimage -quiet prints only errors), so reading it before waiting cannot block for long.
        String out;
        try {
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
            if (!done) {
                p.destroyForcibly();
                throw new SeedImageException(Failure.TOOL_FAILED, tool + " did not finish within " + timeout.toSeconds() + " s", null);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SeedImageException(Failure.TOOL_FAILED, "interrupted while " + tool + " built the cloud-init seed", e);
        }
        if (p.exitValue() != 0) {
            throw new SeedImageException(Failure.TOOL_FAILED, tool + " failed with exit code " + p.exitValue() + ": " + out, null);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover staging directory holds only this seed's small text files.
        }
    }
}
