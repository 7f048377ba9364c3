package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/**
 * Raw mirror of the libxenstore calls that let the driver watch a domain's xenstore nodes (Xen 4.17
 * {@code xenstore.h}). C {@code bool} is one byte, so it is mirrored as {@code byte} (non-zero is true).
 */
public interface XenStoreRaw extends Library {
    /** {@code XBT_NULL}: no transaction. */
    int XBT_NULL = 0;
    /** {@code XS_WATCH_PATH}: index of the fired path in the vector {@code xs_check_watch} returns. */
    int XS_WATCH_PATH = 0;
    /** {@code XS_WATCH_TOKEN}: index of the watch's token in that vector. */
    int XS_WATCH_TOKEN = 1;

    Pointer xs_open(long flags);

    void xs_close(Pointer xsh);

    byte xs_watch(Pointer h, String path, String token);

    byte xs_unwatch(Pointer h, String path, String token);

    /** A malloc'd vector (path, token) the caller frees with libc {@code free}, or NULL with errno EAGAIN when none waits. */
    Pointer xs_check_watch(Pointer h);
}
