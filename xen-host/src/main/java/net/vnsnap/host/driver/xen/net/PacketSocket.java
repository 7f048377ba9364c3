package net.vnsnap.host.driver.xen.net;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.time.Duration;

/** An AF_PACKET raw socket bound to one network interface (a domU's vif in dom0), skipping frames it sent itself. */
public final class PacketSocket implements FrameLink {
    private final PacketLibcRaw libc;
    private final int fd;
    private final String ifname;
    /** Reused by the single receiving thread. */
    private final PacketLibcRaw.SockaddrLl from = new PacketLibcRaw.SockaddrLl();
    private final IntByReference fromLen = new IntByReference();
    private volatile boolean closed;
    /** The vif's transmit counters (packets plus drops) when this socket opened: the vif may be older than it. */
    private final long takenAtOpen;

    private PacketSocket(PacketLibcRaw libc, int fd, String ifname) {
        this.libc = libc;
        this.fd = fd;
        this.ifname = ifname;
        this.takenAtOpen = Math.max(0, transmitCounters(ifname));
    }

    /**
     * A vif's tx_packets plus tx_dropped: netback counts a frame sent towards the guest when it moves it from its queue
     * into the guest's ring, or drops it; -1 if unreadable.
     */
    static long transmitCounters(String ifname) {
        try {
            java.nio.file.Path stats = java.nio.file.Path.of("/sys/class/net", ifname, "statistics");
            return Long.parseLong(java.nio.file.Files.readString(stats.resolve("tx_packets")).strip())
                    + Long.parseLong(java.nio.file.Files.readString(stats.resolve("tx_dropped")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public long takenByGuest() {
        long now = transmitCounters(ifname);
        return now < 0 ? -1 : now - takenAtOpen;
    }

    /** From netback's debugfs view of the vif's rings (-1 without debugfs). */
    @Override
    public int unconsumedRingSlots() {
        return NetbackRing.unconsumedSlots(NetbackRing.DEBUGFS, ifname);
    }

    /** Linux's errno for a full device queue. */
    static final int ENOBUFS = 105;

    /** Loads libc through JNA. */
    public static PacketLibcRaw loadLibc() {
        return Native.load("c", PacketLibcRaw.class);
    }

    /**
     * Opens a socket that sees every frame on {@code ifname}; a receive returns 0 after {@code pollInterval} without
     * one, so its thread notices a close.
     */
    public static PacketSocket open(PacketLibcRaw libc, String ifname, Duration pollInterval) throws IOException {
        int index = libc.if_nametoindex(ifname);
        if (index == 0) {
            throw new IOException("no network interface " + ifname + " (errno " + Native.getLastError() + ")");
        }
        int proto = htons(PacketLibcRaw.ETH_P_ALL);
        int fd = libc.socket(PacketLibcRaw.AF_PACKET, PacketLibcRaw.SOCK_RAW | PacketLibcRaw.SOCK_CLOEXEC, proto);
        if (fd < 0) {
            throw new IOException("cannot open an AF_PACKET socket (errno " + Native.getLastError() + "; needs CAP_NET_RAW)");
        }
        PacketLibcRaw.SockaddrLl addr = new PacketLibcRaw.SockaddrLl();
        addr.sll_family = PacketLibcRaw.AF_PACKET;
        addr.sll_protocol = (short) proto;
        addr.sll_ifindex = index;
        addr.write();
        if (libc.bind(fd, addr, addr.size()) != 0) {
            int errno = Native.getLastError();
            libc.close(fd);
            throw new IOException("cannot bind an AF_PACKET socket to " + ifname + " (errno " + errno + ")");
        }
        PacketLibcRaw.Timeval tv = new PacketLibcRaw.Timeval();
        tv.tv_sec = pollInterval.toSeconds();
        tv.tv_usec = pollInterval.toNanosPart() / 1000;
        tv.write();
        if (libc.setsockopt(fd, PacketLibcRaw.SOL_SOCKET, PacketLibcRaw.SO_RCVTIMEO, tv, tv.size()) != 0) {
            int errno = Native.getLastError();
            libc.close(fd);
            throw new IOException("cannot set the receive time-out on " + ifname + " (errno " + errno + ")");
        }
        return new PacketSocket(libc, fd, ifname);
    }

    static int htons(int v) {
        return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
    }

    @Override
    public int receive(byte[] buf) throws IOException {
        while (!closed) {
            fromLen.setValue(from.size());
            long n = libc.recvfrom(fd, buf, buf.length, 0, from, fromLen);
            if (n < 0) {
                int errno = Native.getLastError();
                if (errno == PacketLibcRaw.EAGAIN || errno == PacketLibcRaw.EINTR) {
                    return 0;
                }
                throw new IOException("receive on " + ifname + " failed (errno " + errno + ")");
            }
            from.read();
            if ((from.sll_pkttype & 0xff) != PacketLibcRaw.PACKET_OUTGOING) {
                return (int) n;
            }
        }
        return 0;
    }

    /**
     * Whether netback has connected the domU's netfront: the vif's carrier is up and its xenbus backend device is
     * {@code Connected} (sysfs), or, on a kernel without that file, debugfs shows the vif's rings. The carrier alone is
     * not enough: a new vif (a restored domain's) has it up before its frontend connects, and netback drops every
     * frame until then.
     */
    @Override
    public boolean ready() {
        try {
            if (!"1".equals(java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", ifname, "carrier")).strip())) {
                return false;
            }
        } catch (IOException e) {
            // EINVAL while the interface is administratively down, or gone.
            return false;
        }
        java.nio.file.Path state = backendState(XENBUS_BACKENDS, ifname);
        if (state != null && java.nio.file.Files.exists(state)) {
            try {
                return "Connected".equals(java.nio.file.Files.readString(state).strip());
            } catch (IOException e) {
                return false;
            }
        }
        return !NetbackRing.visible(NetbackRing.DEBUGFS) || NetbackRing.connected(NetbackRing.DEBUGFS, ifname);
    }

    /** Where Linux lists xenbus backend devices, each with its state ("InitWait", "Connected", ...). */
    static final java.nio.file.Path XENBUS_BACKENDS = java.nio.file.Path.of("/sys/bus/xen-backend/devices");

    /** The xenbus state file of vif {@code vif<domid>.<devid>}: {@code vif-<domid>-<devid>/state}; null for another name. */
    static java.nio.file.Path backendState(java.nio.file.Path backends, String ifname) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("vif(\\d+)\\.(\\d+)").matcher(ifname);
        return m.matches() ? backends.resolve("vif-" + m.group(1) + "-" + m.group(2)).resolve("state") : null;
    }

    @Override
    public void send(byte[] buf, int len) throws IOException {
        long n = libc.send(fd, buf, len, 0);
        if (n != len) {
            int errno = Native.getLastError();
            String msg = "send of " + len + " bytes on " + ifname + " failed (errno " + errno + ")";
            if (n < 0 && (errno == ENOBUFS || errno == PacketLibcRaw.EAGAIN)) {
                throw new FrameRefusedException(msg);
            }
            throw new IOException(msg);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
        }
    }
}
