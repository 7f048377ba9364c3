package net.vnsnap.host.driver.xen.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Relay framing over real UDP sockets: one frame per datagram both ways, checksums completed, a clean stop. */
class VifRelayTest {

    /** An in-memory vif. */
    static final class Link implements FrameLink {
        final BlockingQueue<byte[]> fromGuest = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
        volatile boolean closed;
        volatile boolean up = true;
        /** What the "hypervisor" has taken from its queues; -1: the link cannot tell. */
        volatile long taken = -1;
        /** Unprocessed slots of the guest's receive ring; -1: the link cannot tell. */
        volatile int ringSlots = -1;
        /** Whether every send fails for good (as on a vif that is gone). */
        volatile boolean broken;
        /** Sends to refuse (as a full device queue does) before accepting again. */
        final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public int unconsumedRingSlots() {
            return ringSlots;
        }

        @Override
        public boolean ready() {
            return up;
        }

        @Override
        public long takenByGuest() {
            return taken;
        }

        @Override
        public int receive(byte[] buf) {
            try {
                byte[] f = fromGuest.poll(20, TimeUnit.MILLISECONDS);
                if (f == null) {
                    return 0;
                }
                System.arraycopy(f, 0, buf, 0, f.length);
                return f.length;
            } catch (InterruptedException e) {
                return 0;
            }
        }

        @Override
        public void send(byte[] buf, int len) throws IOException {
            if (broken) {
                throw new IOException("send failed (errno 19)");
            }
            if (refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new FrameRefusedException("send failed (errno 105)");
            }
            toGuest.add(Arrays.copyOf(buf, len));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void framesForAGuestWhoseLinkIsDownWaitInOrderUntilItComesUp() throws Exception {
        Link vif = new Link();
        vif.up = false;
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress()); VifRelay r = relay(vif, sw)) {
            sendNumbered(sw, r, 3);
            assertEquals(null, vif.toGuest.poll(300, TimeUnit.MILLISECONDS), "nothing is sent while the guest's link is down");
            vif.up = true;
            assertReceivedInOrder(vif, 3, "after the link came up");
            assertEquals(3, framesToGuestOnceCounted(r, 3));
        }
    }

    @Test
    void framesTheHypervisorHasNotTakenAreTheLastOnesWritten() throws Exception {
        Link vif = new Link();
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress()); VifRelay r = relay(vif, sw)) {
            assertEquals("vm1.net0", r.name());
            sendNumbered(sw, r, 5);
            assertReceivedInOrder(vif, 5, "written to the vif");
            assertEquals(List.of(), r.undeliveredAtCut().frames(), "a link that cannot tell: nothing is claimed");
            vif.taken = 3;
            VifRelay.Undelivered waiting = r.undeliveredAtCut();
            assertEquals(List.of((byte) 4, (byte) 5), lastBytes(waiting), "the last two, oldest first");
            assertEquals(2, waiting.inQueues());
            assertEquals(0, waiting.inRing(), "a link that cannot see the ring claims nothing in it");
            vif.ringSlots = 2;
            waiting = r.undeliveredAtCut();
            assertEquals(List.of((byte) 2, (byte) 3, (byte) 4, (byte) 5), lastBytes(waiting),
                    "two unprocessed in the ring before the two queued");
            assertEquals(2, waiting.inRing());
            vif.taken = 5;
            vif.ringSlots = 0;
            assertEquals(List.of(), r.undeliveredAtCut().frames(), "all taken and processed");
            vif.ringSlots = 9;
            assertEquals(List.of((byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5), lastBytes(r.undeliveredAtCut()),
                    "more ring slots than frames known: all of them, no more");
        }
    }

    @Test
    void aFrameTakesOneRingSlotPerStartedPage() throws Exception {
        Link vif = new Link();
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress()); VifRelay r = relay(vif, sw)) {
            for (int len : new int[] {60, 9000, 60}) {
                byte[] f = new byte[len];
                f[len - 1] = (byte) (len / 100);
                sw.send(new DatagramPacket(f, f.length, r.localAddress()));
                assertNotNull(vif.toGuest.poll(5, TimeUnit.SECONDS), "frame of " + len);
            }
            vif.taken = 3;
            vif.ringSlots = 4;
            VifRelay.Undelivered waiting = r.undeliveredAtCut();
            assertEquals(List.of(9000, 60), waiting.frames().stream().map(f -> f.length).toList(),
                    "the last 60-byte frame takes one slot, the 9000-byte one three");
            assertEquals(2, waiting.inRing());
        }
    }

    @Test
    void aFrameTheVifRefusesForAMomentIsSentAgainInOrder() throws Exception {
        Link vif = new Link();
        vif.refusals.set(5);
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress()); VifRelay r = relay(vif, sw)) {
            sendNumbered(sw, r, 3);
            assertReceivedInOrder(vif, 3, "after the refusals");
            assertEquals(3, framesToGuestOnceCounted(r, 3));
            assertEquals(0, r.framesDropped());
        }
    }

    @Test
    void aFrameTheVifKeepsRefusingIsUndeliveredAtACutAndOtherErrorsDropAtOnce() throws Exception {
        Link vif = new Link();
        vif.taken = 0;
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress()); VifRelay r = relay(vif, sw)) {
            vif.refusals.set(Integer.MAX_VALUE);
            byte[] f = new byte[60];
            f[59] = 7;
            sw.send(new DatagramPacket(f, f.length, r.localAddress()));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            VifRelay.Undelivered u = r.undeliveredAtCut();
            while (u.frames().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(5);
                u = r.undeliveredAtCut();
            }
            assertEquals(List.of((byte) 7), lastBytes(u), "the frame being offered again is in no guest yet");
            assertEquals(1, u.inQueues());
            long dropEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (r.framesDropped() == 0 && System.nanoTime() < dropEnd) {
                Thread.sleep(20);
            }
            assertEquals(1, r.framesDropped(), "dropped once the retries ran out");
            assertEquals(List.of(), r.undeliveredAtCut().frames(), "a dropped frame is no longer claimed");

            vif.refusals.set(0);
            vif.broken = true;
            long t0 = System.nanoTime();
            sw.send(new DatagramPacket(f, f.length, r.localAddress()));
            while (r.framesDropped() == 1 && System.nanoTime() < dropEnd + TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(5);
            }
            assertEquals(2, r.framesDropped());
            assertTrue(System.nanoTime() - t0 < VifRelay.SEND_RETRY_NANOS, "a failure other than a refusal is not retried");
            assertEquals(0, r.framesToGuest());
        }
    }

    /** A relay of {@code vif} from a free local port to the switch socket {@code sw}. */
    private static VifRelay relay(Link vif, DatagramSocket sw) throws IOException {
        return VifRelay.start("vm1.net0", vif, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", sw.getLocalPort()));
    }

    /** Sends 60-byte frames numbered 1 to {@code n} (in their last byte) from the switch socket to the relay. */
    private static void sendNumbered(DatagramSocket sw, VifRelay r, int n) throws IOException {
        for (int i = 1; i <= n; i++) {
            byte[] f = new byte[60];
            f[59] = (byte) i;
            sw.send(new DatagramPacket(f, f.length, r.localAddress()));
        }
    }

    /** Asserts that the guest got the frames numbered 1 to {@code n}, in order, each within 5 s. */
    private static void assertReceivedInOrder(Link vif, int n, String when) throws InterruptedException {
        for (int i = 1; i <= n; i++) {
            byte[] got = vif.toGuest.poll(5, TimeUnit.SECONDS);
            assertNotNull(got, "frame " + i + " " + when);
            assertEquals((byte) i, got[59]);
        }
    }

    /** The relay's count of frames to the guest, read once it reaches {@code n} or after 5 s: it counts just after the link took one. */
    private static long framesToGuestOnceCounted(VifRelay r, long n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.framesToGuest() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return r.framesToGuest();
    }

    private static List<Byte> lastBytes(VifRelay.Undelivered u) {
        return u.frames().stream().map(f -> f[f.length - 1]).toList();
    }

    @Test
    void oneFramePerDatagramBothWays() throws Exception {
        Link vif = new Link();
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            sw.setSoTimeout(5000);
            try (VifRelay r = relay(vif, sw)) {
                for (int len : new int[] {60, 1514, 9000}) {
                    byte[] f = new byte[len];
                    f[12] = 0x08;
                    f[13] = 0x06;
                    f[len - 1] = (byte) len;
                    vif.fromGuest.add(f);
                }
                for (int len : new int[] {60, 1514, 9000}) {
                    DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
                    sw.receive(p);
                    assertEquals(len, p.getLength());
                    assertEquals((byte) len, p.getData()[len - 1]);
                }
                assertEquals(3, r.framesFromGuest());
                byte[] in = new byte[100];
                in[0] = 1;
                in[99] = 9;
                sw.send(new DatagramPacket(in, in.length, r.localAddress()));
                sw.send(new DatagramPacket(new byte[5], 5, r.localAddress()));
                byte[] got = vif.toGuest.poll(5, TimeUnit.SECONDS);
                assertNotNull(got);
                assertArrayEquals(in, got);
                assertEquals(null, vif.toGuest.poll(200, TimeUnit.MILLISECONDS), "a datagram shorter than an Ethernet header is no frame");
            }
            assertTrue(vif.closed, "close stops the relay and closes the vif link");
        }
    }

    @Test
    void completesOffloadedUdpChecksumsOnTheWayToTheSwitch() throws Exception {
        Link vif = new Link();
        byte[] good = udpFrame();
        byte[] offloaded = good.clone();
        offloaded[14 + 20 + 6] = 0x12;
        offloaded[14 + 20 + 7] = 0x34;
        try (DatagramSocket sw = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            sw.setSoTimeout(5000);
            try (VifRelay r = relay(vif, sw)) {
                vif.fromGuest.add(offloaded);
                DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
                sw.receive(p);
                assertArrayEquals(good, Arrays.copyOf(p.getData(), p.getLength()));
                assertEquals(1, r.checksumsCompleted());
            }
        }
    }

    @Test
    void bindConflictIsReportedAndClosesTheLink() throws Exception {
        Link vif = new Link();
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> VifRelay.start("vm1.net0", vif,
                    new InetSocketAddress("127.0.0.1", taken.getLocalPort()), new InetSocketAddress("127.0.0.1", 9)));
            assertTrue(e.getMessage().contains("vm1.net0"), e.getMessage());
            assertTrue(vif.closed);
        }
    }

    @Test
    void checksumOfAKnownFrame() {
        byte[] f = udpFrame();
        assertFalse(FrameChecksums.completeIpv4(f, f.length), "an already correct checksum stays");
        byte[] arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertFalse(FrameChecksums.completeIpv4(arp, 60));
        byte[] frag = f.clone();
        frag[14 + 6] = 0x20;
        frag[14 + 20 + 6] = 0;
        assertFalse(FrameChecksums.completeIpv4(frag, frag.length), "fragments are left alone");
    }

    /**
     * 10.0.0.2:1000 -> 10.0.0.3:2000, payload "hi", with its checksum computed by hand:
     * the one's-complement sum of the pseudo header, the UDP header (checksum 0) and the data, complemented.
     */
    static byte[] udpFrame() {
        byte[] f = new byte[14 + 20 + 8 + 2];
        f[12] = 0x08;
        int ip = 14;
        f[ip] = 0x45;
        f[ip + 3] = 30;
        f[ip + 8] = 64;
        f[ip + 9] = 17;
        byte[] src = {10, 0, 0, 2};
        byte[] dst = {10, 0, 0, 3};
        System.arraycopy(src, 0, f, ip + 12, 4);
        System.arraycopy(dst, 0, f, ip + 16, 4);
        int u = ip + 20;
        f[u] = 0x03;
        f[u + 1] = (byte) 0xe8;
        f[u + 2] = 0x07;
        f[u + 3] = (byte) 0xd0;
        f[u + 5] = 10;
        f[u + 8] = 'h';
        f[u + 9] = 'i';
        long sum = 0x0a00 + 0x0002 + 0x0a00 + 0x0003 + 17 + 10 + 0x03e8 + 0x07d0 + 10 + 0x6869;
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int c = (int) (~sum & 0xffff);
        f[u + 6] = (byte) (c >> 8);
        f[u + 7] = (byte) c;
        return f;
    }
}
