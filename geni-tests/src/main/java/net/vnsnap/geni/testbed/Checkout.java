package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Where the vnsnap checkout is, and the built-in test guest image it builds (shared by every suite and the demo). */
public final class Checkout {

    private static Path guest;

    private Checkout() {
    }

    /** The checkout root: found upwards from the working directory (Maven runs tests in the module directory). */
    public static Path root() {
        String prop = System.getProperty("vnsnap.root");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("xen-host/guest/build-guest.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the vnsnap checkout above " + Path.of("").toAbsolutePath()
                + " (set -Dvnsnap.root)");
    }

    /** The directory holding the test guest's vmlinux and initramfs.cpio.gz, built first when missing or stale. */
    public static synchronized Path guestImage() throws IOException, InterruptedException {
        if (guest == null) {
            Path out = root().resolve(".vnsnap/guest");
            Process p = new ProcessBuilder(root().resolve("xen-host/guest/build-guest.sh").toString(), out.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("building the test guest failed: " + log);
            }
            guest = out;
        }
        return guest;
    }

    /** True when QEMU is installed, so suites that need real VMs can skip with a clear message elsewhere. */
    public static boolean qemuPresent() {
        try {
            Process p = new ProcessBuilder("qemu-system-x86_64", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
