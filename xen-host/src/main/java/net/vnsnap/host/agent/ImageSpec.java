package net.vnsnap.host.agent;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A guest image the operator offers: kernel-booted (a kernel with initrd and base command line) or disk-booted
 * (a cloud image), with an optional disk that every VM of this image gets a private copy-on-write overlay of,
 * and optionally a cloud-init NoCloud seed with the VM's host name and experimenters.
 *
 * @param name      the short name VmRequest.image refers to
 * @param kernel    the kernel to boot, or null for an image that boots from its disk
 * @param initrd    the initial ramdisk, or null
 * @param cmdline   the base kernel command line; the agent appends the guest's name, address and settings
 * @param disk      a base disk image (qcow2 or raw), or null for a diskless guest; required without a kernel
 * @param cloudInit every VM gets a read-only NoCloud seed drive (label cidata) with its users, host name and NICs
 */
public record ImageSpec(String name, Path kernel, Path initrd, String cmdline, Path disk, boolean cloudInit) {
    public ImageSpec {
        Objects.requireNonNull(name, "name");
        if (kernel == null && disk == null) {
            throw new IllegalArgumentException("image " + name + " needs a kernel or a disk to boot from");
        }
        if (kernel == null && initrd != null) {
            throw new IllegalArgumentException("image " + name + " boots from its disk, so it cannot have an initrd");
        }
        cmdline = cmdline == null ? "" : cmdline.strip();
    }

    /** A kernel-booted image without a cloud-init seed. */
    public ImageSpec(String name, Path kernel, Path initrd, String cmdline, Path disk) {
        this(name, Objects.requireNonNull(kernel, "kernel"), initrd, cmdline, disk, false);
    }

    /** True for an image that boots from its disk through the firmware (a cloud image). */
    public boolean bootsFromDisk() {
        return kernel == null;
    }
}
