package net.vnsnap.host.driver.xen;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Sibling libxl contexts lent one per save, so that the saves of a slice's domains run at once (as separate xl
 * processes would) instead of queuing on one context's long-operation lock; opened on demand, reused, closed with the
 * driver.
 */
final class LibxlContexts implements AutoCloseable {
    private final Libxl first;
    // @GuardedBy("this") contexts no save holds now
    private final Deque<Libxl> idle = new ArrayDeque<>();
    // @GuardedBy("this") how many siblings were opened (idle or lent)
    private int opened;
    // @GuardedBy("this") after close, a context given back is closed instead of kept
    private boolean closed;

    /** Siblings of {@code first}, which stays the caller's to close (after this). */
    LibxlContexts(Libxl first) {
        this.first = first;
    }

    /** A context for one save: an idle one, or a new sibling. */
    Libxl take() throws LibxlException {
        synchronized (this) {
            if (closed) {
                throw new LibxlException("libxl_ctx_alloc", LibxlError.FAIL.code(), LibxlError.FAIL, "the Xen driver is closed");
            }
            Libxl l = idle.poll();
            if (l != null) {
                return l;
            }
        }
        Libxl fresh = first.sibling();
        synchronized (this) {
            if (!closed) {
                opened++;
                return fresh;
            }
        }
        fresh.close();
        throw new LibxlException("libxl_ctx_alloc", LibxlError.FAIL.code(), LibxlError.FAIL, "the Xen driver is closed");
    }

    /** Gives back a context from {@link #take}. */
    void give(Libxl l) {
        synchronized (this) {
            if (!closed) {
                idle.push(l);
                return;
            }
        }
        l.close();
    }

    /** How many sibling contexts exist: at most the number of saves that ever ran at once. */
    synchronized int opened() {
        return opened;
    }

    /** Closes the idle contexts now and each lent one when it is given back. */
    @Override
    public void close() {
        List<Libxl> now;
        synchronized (this) {
            closed = true;
            now = List.copyOf(idle);
            idle.clear();
        }
        now.forEach(Libxl::close);
    }
}
