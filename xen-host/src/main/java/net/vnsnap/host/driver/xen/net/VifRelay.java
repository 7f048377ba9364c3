package net.vnsnap.host.driver.xen.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Relays one domU NIC: every frame the guest sends on its vif goes as one UDP datagram to the NIC's switch port, and
 * every datagram arriving on the NIC's local UDP address goes to the guest as one frame. Two threads; {@link #close}
 * stops both.
 */
public final class VifRelay implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(VifRelay.class);
    /** Largest frame carried (a 64 KiB GSO frame; the switch enforces its own limit). */
    static final int MAX_FRAME = 65535;
    /** How long frames for the guest wait for its link to come up before they are sent anyway (and likely dropped). */
    static final long READY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String name;
    private final FrameLink vif;
    private final DatagramChannel udp;
    private final InetSocketAddress remote;
    private final Thread fromGuest;
    private final Thread toGuest;
    private final AtomicLong framesFromGuest = new AtomicLong();
    private final AtomicLong framesToGuest = new AtomicLong();
    private final AtomicLong checksumsCompleted = new AtomicLong();
    /**
     * Copies of the last frames written to the vif, oldest first, so that those still in dom0's queues at a cut can be
     * recorded as channel state; as many as a switch port holds. Guarded by itself.
     */
    private final java.util.ArrayDeque<byte[]> recentToGuest = new java.util.ArrayDeque<>();
    static final int RECENT_FRAMES = 512;
    /** Set once the guest's link was seen up; read and written by the to-guest thread only. */
    private boolean guestReady;
    private volatile boolean stopping;

    private VifRelay(String name, FrameLink vif, DatagramChannel udp, InetSocketAddress remote) {
        this.name = name;
        this.vif = vif;
        this.udp = udp;
        this.remote = remote;
        this.fromGuest = new Thread(this::pumpFromGuest, "vif-relay-out-" + name);
        this.toGuest = new Thread(this::pumpToGuest, "vif-relay-in-" + name);
        fromGuest.setDaemon(true);
        toGuest.setDaemon(true);
    }

    /**
     * Binds the NIC's local UDP address and starts relaying between it and {@code vif}; on failure {@code vif} is closed.
     *
     * @param name   for thread names and logs, e.g. "vm1.net0"
     * @param local  the tunnel's local end (where the switch sends the guest's frames)
     * @param remote the switch port
     */
    public static VifRelay start(String name, FrameLink vif, InetSocketAddress local, InetSocketAddress remote) throws IOException {
        DatagramChannel ch;
        try {
            ch = DatagramChannel.open(StandardProtocolFamily.INET);
            try {
                ch.bind(local);
            } catch (IOException e) {
                ch.close();
                throw new IOException("cannot bind the tunnel end " + local + " of " + name + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            vif.close();
            throw e;
        }
        VifRelay r = new VifRelay(name, vif, ch, remote);
        r.fromGuest.start();
        r.toGuest.start();
        return r;
    }

    private void pumpFromGuest() {
        byte[] buf = new byte[MAX_FRAME];
        ByteBuffer out = ByteBuffer.wrap(buf);
        while (!stopping) {
            try {
                int n = vif.receive(buf);
                if (n <= 0) {
                    continue;
                }
                if (FrameChecksums.completeIpv4(buf, n)) {
                    checksumsCompleted.incrementAndGet();
                }
                out.clear().limit(n);
                udp.send(out, remote);
                framesFromGuest.incrementAndGet();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!stopping) {
                    LOG.warn("{}: frame from the guest not relayed: {}", name, e.getMessage());
                    pauseAfterError();
                }
            }
        }
    }

    private void pumpToGuest() {
        ByteBuffer in = ByteBuffer.allocate(MAX_FRAME);
        while (!stopping) {
            try {
                in.clear();
                udp.receive(in);
                in.flip();
                if (in.remaining() >= 14) {
                    // Until the guest's link is up (a restored domain reconnecting its netfront) the frames wait here
                    // and in the socket's buffer, in order: the switch releases a restored VM's held and recorded
                    // frames as it resumes, before the guest can take them.
                    awaitGuestReady();
                    byte[] copy = java.util.Arrays.copyOf(in.array(), in.remaining());
                    synchronized (recentToGuest) {
                        vif.send(copy, copy.length);
                        framesToGuest.incrementAndGet();
                        if (recentToGuest.size() == RECENT_FRAMES) {
                            recentToGuest.removeFirst();
                        }
                        recentToGuest.addLast(copy);
                    }
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!stopping) {
                    LOG.debug("{}: frame to the guest not delivered: {}", name, e.getMessage());
                    pauseAfterError();
                }
            }
        }
    }

    private void awaitGuestReady() {
        if (guestReady) {
            return;
        }
        long end = System.nanoTime() + READY_WAIT_NANOS;
        while (!stopping && !vif.ready()) {
            if (System.nanoTime() > end) {
                LOG.warn("{}: the guest's link is still down after {} s; sending anyway", name, TimeUnit.NANOSECONDS.toSeconds(READY_WAIT_NANOS));
                break;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        guestReady = true;
    }

    /** Keeps a persistent error (e.g. the vif went away) from spinning a core. */
    private static void pauseAfterError() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The local UDP address actually bound. */
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) udp.getLocalAddress();
    }

    /**
     * The frames written to the vif that the hypervisor has not taken from dom0's queues yet, oldest first (at most
     * {@link #RECENT_FRAMES}); empty when the vif cannot tell. Called at a cut, while the domain is suspended: these
     * frames are in no image of it, so they are channel state.
     */
    public java.util.List<byte[]> notTakenByGuest() {
        synchronized (recentToGuest) {
            long taken = vif.takenByGuest();
            if (taken < 0) {
                return java.util.List.of();
            }
            long waiting = Math.min(framesToGuest.get() - taken, recentToGuest.size());
            if (waiting <= 0) {
                return java.util.List.of();
            }
            java.util.List<byte[]> all = new java.util.ArrayList<>(recentToGuest);
            return java.util.List.copyOf(all.subList(all.size() - (int) waiting, all.size()));
        }
    }

    /** The relay's name: the VM's name, a dot and the NIC's id. */
    public String name() {
        return name;
    }

    public long framesFromGuest() {
        return framesFromGuest.get();
    }

    public long framesToGuest() {
        return framesToGuest.get();
    }

    /** Frames whose TCP/UDP checksum the relay had to complete. */
    public long checksumsCompleted() {
        return checksumsCompleted.get();
    }

    /** Stops both threads, then closes the UDP socket and the vif link. */
    @Override
    public void close() {
        stopping = true;
        try {
            udp.close();
        } catch (IOException e) {
            LOG.debug("{}: closing the tunnel socket: {}", name, e.getMessage());
        }
        try {
            toGuest.join(5000);
            fromGuest.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vif.close();
    }
}
