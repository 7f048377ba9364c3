package net.vnsnap.host.driver.qemu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the QEMU driver runs QEMU on this host.
 *
 * @param qemuBinary  qemu-system-x86_64
 * @param qemuImg     qemu-img, for overlays
 * @param accelerator "tcg" (works everywhere) or "kvm" where hardware virtualisation really works
 * @param machine     machine type, pinned so restore gets the same device model
 * @param runDirectory where each VM instance gets its sockets, logs and overlays
 * @param startTimeout how long QEMU may take to open its QMP socket
 * @param commandTimeout how long one QMP command may take
 */
public record QemuConfig(Path qemuBinary, Path qemuImg, String accelerator, String machine, Path runDirectory,
                         Duration startTimeout, Duration commandTimeout) {
    public QemuConfig {
        Objects.requireNonNull(qemuBinary, "qemuBinary");
        Objects.requireNonNull(qemuImg, "qemuImg");
        if (!"tcg".equals(accelerator) && !"kvm".equals(accelerator)) {
            throw new IllegalArgumentException("accelerator must be tcg or kvm, got " + accelerator);
        }
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(runDirectory, "runDirectory");
        startTimeout = startTimeout == null ? Duration.ofSeconds(30) : startTimeout;
        commandTimeout = commandTimeout == null ? Duration.ofSeconds(30) : commandTimeout;
    }

    /**
     * Defaults: binaries from PATH, TCG unless {@code vnsnap.qemu.accel} (or env VNSNAP_QEMU_ACCEL) says kvm,
     * machine "pc".
     */
    public static QemuConfig defaults(Path runDirectory) {
        String accel = System.getProperty("vnsnap.qemu.accel", System.getenv().getOrDefault("VNSNAP_QEMU_ACCEL", "tcg"));
        return new QemuConfig(Path.of("qemu-system-x86_64"), Path.of("qemu-img"), accel, "pc", runDirectory, null, null);
    }
}
