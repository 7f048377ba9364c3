package net.vnsnap.host.driver.xen;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import net.vnsnap.host.driver.xen.libxl.LibcRaw;
import net.vnsnap.host.driver.xen.libxl.XenStoreRaw;

/**
 * A watch on one xenstore node over its own libxenstore connection, read without blocking: it counts the node's
 * changes since the watch was set.
 */
final class XenStoreWatch implements AutoCloseable {
    private final XenStoreRaw xs;
    private final LibcRaw libc;
    private final Pointer handle;
    private final String path;
    private final String token;
    /** xenstored fires every new watch once, at once; that event is not a change of the node. */
    private boolean initialSeen;
    private int changes;
    private boolean closed;

    private XenStoreWatch(XenStoreRaw xs, LibcRaw libc, Pointer handle, String path, String token) {
        this.xs = xs;
        this.libc = libc;
        this.handle = handle;
        this.path = path;
        this.token = token;
    }

    /** Connects to xenstored and sets the watch; {@code token} tells this watch's events apart. */
    static XenStoreWatch open(XenStoreRaw xs, LibcRaw libc, String path, String token) throws LibxlException {
        Pointer h = xs.xs_open(0);
        if (h == null) {
            throw Libxl.system("xs_open", "cannot connect to xenstored");
        }
        if (xs.xs_watch(h, path, token) == 0) {
            LibxlException e = Libxl.system("xs_watch", path);
            xs.xs_close(h);
            throw e;
        }
        return new XenStoreWatch(xs, libc, h, path, token);
    }

    /** The changes of the node seen so far (reads the events that wait, never blocks). */
    synchronized int changes() {
        if (closed) {
            return changes;
        }
        Pointer vec;
        while ((vec = xs.xs_check_watch(handle)) != null) {
            try {
                String firedToken = vec.getPointer((long) XenStoreRaw.XS_WATCH_TOKEN * Native.POINTER_SIZE).getString(0, "UTF-8");
                if (token.equals(firedToken)) {
                    if (initialSeen) {
                        changes++;
                    } else {
                        initialSeen = true;
                    }
                }
            } finally {
                libc.free(vec);
            }
        }
        return changes;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            xs.xs_unwatch(handle, path, token);
            xs.xs_close(handle);
        }
    }
}
