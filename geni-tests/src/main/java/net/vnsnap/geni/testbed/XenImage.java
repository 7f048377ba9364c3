package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cached nested-Xen boot image built by {@code xen-host/xen-test/build-dom0.sh}: the hypervisor ELF, the dom0
 * kernel, the uncompressed dom0 root and the tiny test domU initramfs, in {@code .vnsnap/xen/<key>/}.
 *
 * @param directory the image directory (its name is the cache key)
 * @param hypervisor {@code xen-4.17}, loaded by QEMU as a multiboot kernel
 * @param dom0Kernel {@code vmlinuz}
 * @param dom0Root   {@code dom0.cpio}, uncompressed
 * @param versions   the {@code versions} file: deb versions, kernel release, JRE modules, build time
 */
public record XenImage(Path directory, Path hypervisor, Path dom0Kernel, Path dom0Root, String versions) {

    /** The image build with everything it installs and downloads may take long on a fresh machine. */
    private static final long BUILD_TIMEOUT_MINUTES = 30;

    /** Builds the image, or finds it in the cache; {@code hostdClassPath} lets jdeps choose the JRE's modules. */
    public static XenImage build(List<Path> hostdClassPath, Path log) throws IOException, InterruptedException {
        Path script = Checkout.root().resolve("xen-host/xen-test/build-dom0.sh");
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        if (!hostdClassPath.isEmpty()) {
            cmd.add("--classpath");
            cmd.add(String.join(":", hostdClassPath.stream().map(Path::toString).toList()));
        }
        cmd.add(Checkout.root().resolve(".vnsnap/xen").toString());
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        // The script prints only the image directory on stdout; its progress goes to the log.
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("build-dom0.sh did not finish within " + BUILD_TIMEOUT_MINUTES + " minutes; see " + log);
        }
        String[] lines = new String(out, StandardCharsets.UTF_8).strip().split("\n");
        if (p.exitValue() != 0 || lines.length == 0 || lines[lines.length - 1].isBlank()) {
            throw new IOException("build-dom0.sh failed (exit " + p.exitValue() + "): " + tail(log));
        }
        Path dir = Path.of(lines[lines.length - 1].strip());
        XenImage img = new XenImage(dir, dir.resolve("xen-4.17"), dir.resolve("vmlinuz"), dir.resolve("dom0.cpio"),
                Files.readString(dir.resolve("versions")));
        for (Path f : List.of(img.hypervisor, img.dom0Kernel, img.dom0Root)) {
            if (!Files.isRegularFile(f)) {
                throw new IOException("the Xen image in " + dir + " lacks " + f.getFileName());
            }
        }
        return img;
    }

    /** The cache key (the directory's name). */
    public String key() {
        return directory.getFileName().toString();
    }

    static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> l = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", l.subList(Math.max(0, l.size() - 30), l.size()));
    }
}
