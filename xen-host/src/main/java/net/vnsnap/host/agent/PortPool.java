package net.vnsnap.host.agent;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.BitSet;

/** Hands out ports of an operator's range that nobody else on the host is bound to (callers synchronize). */
final class PortPool {
    /** UDP for NIC backends, TCP for SSH forwards: a port is free when a socket of that kind can bind it. */
    enum Kind { UDP, TCP }

    private final Kind kind;
    private final String host;
    private final int first;
    private final int last;
    /** Ports handed out and not yet released, by offset from {@code first}. */
    private final BitSet used = new BitSet();
    /** Where the next search starts, so a just-released port is not reused at once (QEMU may still hold it). */
    private int next;

    PortPool(Kind kind, String host, int first, int last) {
        this.kind = kind;
        this.host = host;
        this.first = first;
        this.last = last;
    }

    /** A free port, or -1 when the range is exhausted. */
    int take() {
        int size = last - first + 1;
        for (int i = 0; i < size; i++) {
            int off = (next + i) % size;
            if (!used.get(off) && bindable(first + off)) {
                used.set(off);
                next = (off + 1) % size;
                return first + off;
            }
        }
        return -1;
    }

    /** Takes this very port if it is in the range, not handed out and bindable; false otherwise. */
    boolean take(int port) {
        if (port < first || port > last || used.get(port - first) || !bindable(port)) {
            return false;
        }
        used.set(port - first);
        return true;
    }

    void release(int port) {
        if (port >= first && port <= last) {
            used.clear(port - first);
        }
    }

    private boolean bindable(int port) {
        if (kind == Kind.TCP) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true); // a port in TIME_WAIT after a destroyed VM's QEMU is fine for QEMU too
                s.bind(new InetSocketAddress(host, port));
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(host, port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
