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
    /** How long a frame the vif refuses is offered again before it is dropped. */
    static final long SEND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Size of one slot of a netfront receive ring: a frame takes one slot per started page of it. */
    static final int RING_SLOT_BYTES = 4096;

    private final String name;
    private final FrameLink vif;
    private final DatagramChannel udp;
    private final InetSocketAddress remote;
    private final Thread fromGuest;
    private final Thread toGuest;
    private final AtomicLong framesFromGuest = new AtomicLong();
    private final AtomicLong framesToGuest = new AtomicLong();
    private final AtomicLong checksumsCompleted = new AtomicLong();
    private final AtomicLong framesDropped = new AtomicLong();
    /**
     * Copies of the last frames written to the vif, oldest first, so that those still in dom0's queues at a cut can be
     * recorded as channel state; as many as a switch port holds. Guarded by itself.
     */
    private final java.util.ArrayDeque<byte[]> recentToGuest = new java.util.ArrayDeque<>();
    static final int RECENT_FRAMES = 512;
    /** How long after the guest's link comes up the frames written are counted once in the log. */
    static final long FIRST_FRAMES_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** The frame the vif refused and that is being offered again, if any; guarded by {@link #recentToGuest}. */
    private byte[] refused;
    /** Set once the guest's link was seen up; read and written by the to-guest thread only. */
    private boolean guestReady;
    /**
     * When the guest's link came up, and the frames sent to the guest until then; the to-guest thread reports the first
     * seconds after it once ({@link #reportFirstFrames}), since that is when a restored VM's replayed frames go out.
     */
    private long readyAtNanos;
    private long framesAtReady;
    private boolean firstFramesReported;
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
                    sendToGuest(copy);
                    reportFirstFrames();
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!stopping) {
                    LOG.warn("{}: the tunnel socket failed: {}", name, e.getMessage());
                    pauseAfterError();
                }
            }
        }
    }

    /**
     * Writes one frame to the vif, again while dom0 refuses it for a moment (a full device queue answers ENOBUFS while
     * a restored guest has not posted its receive buffers yet), for up to {@link #SEND_RETRY_NANOS}; then, or at once
     * on any other error, drops it with a warning. While it is refused it counts as undelivered at a cut.
     */
    private void sendToGuest(byte[] frame) {
        long end = System.nanoTime() + SEND_RETRY_NANOS;
        while (true) {
            IOException failure;
            synchronized (recentToGuest) {
                try {
                    vif.send(frame, frame.length);
                    refused = null;
                    framesToGuest.incrementAndGet();
                    if (recentToGuest.size() == RECENT_FRAMES) {
                        recentToGuest.removeFirst();
                    }
                    recentToGuest.addLast(frame);
                    return;
                } catch (FrameRefusedException e) {
                    refused = frame;
                    failure = e;
                } catch (IOException e) {
                    refused = null;
                    failure = e;
                    end = 0;
                }
                if (stopping || System.nanoTime() > end) {
                    refused = null;
                }
            }
            if (stopping) {
                return;
            }
            if (System.nanoTime() > end) {
                long n = framesDropped.incrementAndGet();
                if (n == 1 || n % 100 == 0) {
                    LOG.warn("{}: a frame to the guest was dropped ({} so far): {}", name, n, failure.getMessage());
                }
                return;
            }
            if (!pause(2)) {
                return;
            }
        }
    }

    private void awaitGuestReady() {
        if (guestReady) {
            return;
        }
        long start = System.nanoTime();
        long end = start + READY_WAIT_NANOS;
        // Ready twice, 20 ms apart: netback shows a connecting vif's rings a moment before it takes frames on it.
        while (!stopping && !(vif.ready() && settled())) {
            if (System.nanoTime() > end) {
                LOG.warn("{}: the guest's link is still down after {} s; sending anyway", name, TimeUnit.NANOSECONDS.toSeconds(READY_WAIT_NANOS));
                break;
            }
            if (!pause(2)) {
                return;
            }
        }
        guestReady = true;
        readyAtNanos = System.nanoTime();
        framesAtReady = framesToGuest.get();
        LOG.info("{}: the guest's link is up ({} ms after the first frame for it came)", name,
                TimeUnit.NANOSECONDS.toMillis(readyAtNanos - start));
    }

    /** Once, at the first frame 3 s after the link came up: how many frames reached the guest in those seconds. */
    private void reportFirstFrames() {
        if (firstFramesReported || !guestReady || System.nanoTime() - readyAtNanos < FIRST_FRAMES_NANOS) {
            return;
        }
        firstFramesReported = true;
        LOG.info("{}: {} frames written to the guest in the {} ms after its link came up ({} dropped so far)", name,
                framesToGuest.get() - framesAtReady, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readyAtNanos), framesDropped.get());
    }

    /** Whether the vif is still ready 20 ms on (true when interrupted: the caller stops waiting). */
    private boolean settled() {
        return !pause(20) || vif.ready();
    }

    /** Keeps a persistent error (e.g. the vif went away) from spinning a core. */
    private static void pauseAfterError() {
        pause(10);
    }

    /** Sleeps; false when interrupted (the thread's interrupt flag is set again). */
    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The local UDP address actually bound. */
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) udp.getLocalAddress();
    }

    /**
     * The frames for the guest that are in no image of it at a cut, oldest first: those still in dom0's queues, and
     * before them those in its receive ring that it had not processed (a restored netfront discards its old ring).
     * Called while the domain is suspended; at most {@link #RECENT_FRAMES}; empty when the vif cannot tell.
     */
    public Undelivered undeliveredAtCut() {
        synchronized (recentToGuest) {
            // Netback may still move frames from its queue into the ring while this reads: read the ring around the
            // counters until it stood still, so that no frame is counted in both places or in neither.
            int ring = vif.unconsumedRingSlots();
            long taken = vif.takenByGuest();
            for (int i = 0; ; i++) {
                int again = vif.unconsumedRingSlots();
                long takenAgain = vif.takenByGuest();
                if (again == ring && takenAgain == taken) {
                    break;
                }
                if (i == 50) {
                    LOG.warn("{}: netback's ring and counters did not stand still at the cut; frames to the guest may be"
                            + " recorded twice or not at all", name);
                    break;
                }
                ring = again;
                taken = takenAgain;
                pause(10);
            }
            if (taken < 0) {
                return refused == null ? Undelivered.NONE : new Undelivered(java.util.List.of(refused), 1, 0);
            }
            java.util.List<byte[]> all = new java.util.ArrayList<>(recentToGuest);
            int queued = (int) Math.max(0, Math.min(framesToGuest.get() - taken, all.size()));
            int start = all.size() - queued;
            int inRing = 0;
            for (int slots = ring; slots > 0 && start > 0; inRing++) {
                start--;
                slots -= Math.max(1, (all.get(start).length + RING_SLOT_BYTES - 1) / RING_SLOT_BYTES);
            }
            java.util.List<byte[]> frames = new java.util.ArrayList<>(all.subList(start, all.size()));
            if (refused != null) {
                frames.add(refused); // refused by the vif so far: not in the guest, sent after the cut if at all
                queued++;
            }
            return new Undelivered(java.util.List.copyOf(frames), queued, inRing);
        }
    }

    /**
     * Frames for the guest in no image of it at a cut, oldest first.
     *
     * @param inQueues how many of them were still in dom0's queues (the last ones)
     * @param inRing   how many were in the guest's receive ring, unprocessed (the ones before)
     */
    public record Undelivered(java.util.List<byte[]> frames, int inQueues, int inRing) {
        static final Undelivered NONE = new Undelivered(java.util.List.of(), 0, 0);
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

    /** Frames for the guest the vif still refused after the retries. */
    public long framesDropped() {
        return framesDropped.get();
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
