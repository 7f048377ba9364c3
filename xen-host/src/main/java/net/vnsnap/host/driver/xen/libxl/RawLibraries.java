package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Native;
import java.util.Objects;

/**
 * The native libraries the libxl layer calls, loaded together or supplied by a test.
 *
 * @param libxl    libxenlight
 * @param xtl      libxentoollog
 * @param libc     the C library
 * @param xenstore libxenstore (watches on a domain's nodes)
 */
public record RawLibraries(LibxlRaw libxl, XenToolLogRaw xtl, LibcRaw libc, XenStoreRaw xenstore) {
    public RawLibraries {
        Objects.requireNonNull(libxl, "libxl");
        Objects.requireNonNull(xtl, "xtl");
        Objects.requireNonNull(libc, "libc");
        Objects.requireNonNull(xenstore, "xenstore");
    }

    /**
     * Loads libxenlight, libxentoollog, libc and libxenstore. JNA also finds the versioned names Debian installs without
     * libxen-dev ({@code libxenlight.so.4.17}); {@code vnsnap.xen.libxenlight} overrides the name.
     *
     * @throws UnsatisfiedLinkError when Xen's libraries are not installed (not a dom0)
     */
    public static RawLibraries load() {
        String xl = System.getProperty("vnsnap.xen.libxenlight", "xenlight");
        return new RawLibraries(Native.load(xl, LibxlRaw.class), Native.load("xentoollog", XenToolLogRaw.class),
                Native.load("c", LibcRaw.class), Native.load("xenstore", XenStoreRaw.class));
    }
}
