package net.vnsnap.host.agent;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A guest image the operator offers: a kernel with initrd and base command line, and an optional disk that
 * every VM of this image gets a private copy-on-write overlay of.
 *
 * @param name    the short name VmRequest.image refers to
 * @param kernel  the kernel to boot
 * @param initrd  the initial ramdisk, or null
 * @param cmdline the base kernel command line; the agent appends the guest's name, address and settings
 * @param disk    a base disk image (qcow2 or raw), or null for a diskless guest
 */
public record ImageSpec(String name, Path kernel, Path initrd, String cmdline, Path disk) {
    public ImageSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kernel, "kernel");
        cmdline = cmdline == null ? "" : cmdline.strip();
    }
}
