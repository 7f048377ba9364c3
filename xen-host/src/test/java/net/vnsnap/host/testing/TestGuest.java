package net.vnsnap.host.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The built-in test guest, built once per checkout by xen-host/guest/build-guest.sh and shared by all tests. */
public final class TestGuest {
    private static Path dir;

    private TestGuest() {
    }

    /** The module directory (tests run with it as working directory under Maven). */
    public static Path moduleDir() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("guest")) ? here : here.resolve("xen-host");
    }

    /** Skips the test with a clear message when QEMU is not installed. */
    public static void assumeQemu() {
        boolean present = false;
        try {
            Process p = new ProcessBuilder("qemu-system-x86_64", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assumeTrue(present, "QEMU is not installed (qemu-system-x86_64 not on PATH): run bin/lib/install-qemu.sh; skipping VM tests");
    }

    /** The directory with vmlinux and initramfs.cpio.gz, building it if needed. */
    public static synchronized Path dir() throws IOException, InterruptedException {
        if (dir == null) {
            Path out = moduleDir().getParent().resolve(".vnsnap/guest");
            Process p = new ProcessBuilder(moduleDir().resolve("guest/build-guest.sh").toString(), out.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("building the test guest failed: " + log);
            }
            dir = out;
        }
        return dir;
    }

    public static Path kernel() throws IOException, InterruptedException {
        return dir().resolve("vmlinux");
    }

    public static Path initrd() throws IOException, InterruptedException {
        return dir().resolve("initramfs.cpio.gz");
    }
}
