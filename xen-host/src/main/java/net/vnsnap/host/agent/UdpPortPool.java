package net.vnsnap.host.agent;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.BitSet;

/** Hands out UDP ports of the operator's VM range that nobody else on the host is bound to (callers synchronize). */
final class UdpPortPool {
    private final String host;
    private final int first;
    private final int last;
    /** Ports handed out and not yet released, by offset from {@code first}. */
    private final BitSet used = new BitSet();
    /** Where the next search starts, so a just-released port is not reused at once (QEMU may still hold it). */
    private int next;

    UdpPortPool(String host, int first, int last) {
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

    void release(int port) {
        if (port >= first && port <= last) {
            used.clear(port - first);
        }
    }

    private boolean bindable(int port) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(host, port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
