package net.vnsnap.host.driver.xen;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.vnsnap.host.driver.xen.net.FrameLink;

/** An in-memory vif: frames the "guest" sends are queued in {@link #fromGuest}; frames to it land in {@link #toGuest}. */
final class QueueLink implements FrameLink {
    final String ifname;
    final BlockingQueue<byte[]> fromGuest = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
    volatile boolean closed;
    /** Frames the "hypervisor" has taken from dom0's queues; -1: cannot tell. */
    volatile long taken = -1;

    /** Slots of the guest's receive ring it had not processed; -1: cannot tell. */
    volatile int ringSlots = -1;

    @Override
    public long takenByGuest() {
        return taken;
    }

    @Override
    public int unconsumedRingSlots() {
        return ringSlots;
    }

    QueueLink(String ifname) {
        this.ifname = ifname;
    }

    @Override
    public int receive(byte[] buf) throws java.io.IOException {
        try {
            byte[] f = fromGuest.poll(20, TimeUnit.MILLISECONDS);
            if (f == null) {
                return 0;
            }
            System.arraycopy(f, 0, buf, 0, f.length);
            return f.length;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    @Override
    public void send(byte[] buf, int len) {
        toGuest.add(java.util.Arrays.copyOf(buf, len));
    }

    @Override
    public void close() {
        closed = true;
    }
}
