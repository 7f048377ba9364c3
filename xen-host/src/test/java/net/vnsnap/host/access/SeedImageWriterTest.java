package net.vnsnap.host.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.vnsnap.host.driver.GuestUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed ISO written by the real genisoimage and read back with isoinfo (both from Debian's genisoimage). */
class SeedImageWriterTest {
    @TempDir
    Path tmp;

    private static boolean installed(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "-version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " hangs");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    @Test
    void writesACidataIsoWhoseFilesKeepTheirNames() throws Exception {
        assumeTrue(installed("genisoimage") && installed("isoinfo"),
                "genisoimage/isoinfo are not installed (Debian package genisoimage; bin/vnsnap setup installs it)");
        NoCloudSeed seed = new NoCloudSeed("vnsnap-n1-x", "n1", List.of(new GuestUser("alice", NoCloudSeedTest.ED)),
                List.of(new NoCloudSeed.Interface("ctl", "06:56:4e:00:00:01", true, null)));
        Path iso = tmp.resolve("n1-seed.iso");
        new SeedImageWriter().write(seed, iso);

        String pvd = run("isoinfo", "-d", "-i", iso.toString());
        assertTrue(pvd.lines().anyMatch(l -> l.strip().equals("Volume id: cidata")), pvd);
        assertTrue(pvd.contains("Rock Ridge signatures version") && pvd.contains("Joliet"), pvd);
        String listing = run("isoinfo", "-R", "-f", "-i", iso.toString());
        assertEquals(List.of("/meta-data", "/network-config", "/user-data"), listing.lines().map(String::strip).sorted().toList());
        assertEquals(seed.userData(), run("isoinfo", "-J", "-i", iso.toString(), "-x", "/user-data"));
        assertEquals(seed.metaData(), run("isoinfo", "-R", "-i", iso.toString(), "-x", "/meta-data"));
        assertEquals(seed.networkConfig(), run("isoinfo", "-R", "-i", iso.toString(), "-x", "/network-config"));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(iso), s.toList(), "the staging directory must be gone");
        }

        // Rewriting replaces the image (another instance id).
        NoCloudSeed next = new NoCloudSeed("vnsnap-n1-y", "n1", List.of(), List.of());
        new SeedImageWriter().write(next, iso);
        assertEquals(next.metaData(), run("isoinfo", "-R", "-i", iso.toString(), "-x", "/meta-data"));
        assertFalse(run("isoinfo", "-R", "-f", "-i", iso.toString()).contains("network-config"));
    }

    @Test
    void aMissingToolIsAClearError() {
        Path iso = tmp.resolve("seed.iso");
        SeedImageWriter w = new SeedImageWriter(tmp.resolve("no-such-genisoimage"), Duration.ofSeconds(5));
        SeedImageWriter.SeedImageException e = assertThrows(SeedImageWriter.SeedImageException.class,
                () -> w.write(new NoCloudSeed("i", "n", List.of(), List.of()), iso));
        assertEquals(SeedImageWriter.Failure.TOOL_MISSING, e.failure());
        assertTrue(e.getMessage().contains("genisoimage"), e.getMessage());
        assertFalse(Files.exists(iso));
    }

    @Test
    void aFailingToolIsReportedWithItsOutput() throws Exception {
        Path fake = tmp.resolve("bad-tool.sh");
        Files.writeString(fake, "#!/bin/sh\necho 'no space left' >&2\nexit 3\n");
        fake.toFile().setExecutable(true);
        SeedImageWriter w = new SeedImageWriter(fake, Duration.ofSeconds(30));
        SeedImageWriter.SeedImageException e = assertThrows(SeedImageWriter.SeedImageException.class,
                () -> w.write(new NoCloudSeed("i", "n", List.of(), List.of()), tmp.resolve("seed.iso")));
        assertEquals(SeedImageWriter.Failure.TOOL_FAILED, e.failure());
        assertTrue(e.getMessage().contains("exit code 3") && e.getMessage().contains("no space left"), e.getMessage());
    }
}
