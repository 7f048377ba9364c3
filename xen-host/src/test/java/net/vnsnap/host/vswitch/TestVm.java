package net.vnsnap.host.vswitch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** Stands in for a QEMU {@code -netdev dgram} endpoint: one UDP socket that sends frames to its switch port. */
final class TestVm implements AutoCloseable {
    static final int ETHERTYPE = 0x88B5;
    private final DatagramChannel ch;
    private final Selector sel;
    final long mac;
    InetSocketAddress switchPort;
    private final ByteBuffer buf = ByteBuffer.allocate(65_536);

    TestVm(long mac) throws IOException {
        this.mac = mac;
        this.ch = DatagramChannel.open();
        ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        ch.configureBlocking(false);
        this.sel = Selector.open();
        ch.register(sel, SelectionKey.OP_READ);
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) ch.getLocalAddress();
    }

    /** An Ethernet frame from this VM to {@code dst} carrying {@code payload}. */
    byte[] frame(long dst, byte[] payload) {
        return build(dst, mac, payload);
    }

    static byte[] build(long dst, long src, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(Ethernet.HEADER_BYTES + payload.length);
        Ethernet.putMac(b, 0, dst);
        Ethernet.putMac(b, 6, src);
        b.putShort(12, (short) ETHERTYPE);
        b.put(14, payload);
        return b.array();
    }

    void send(byte[] frame) throws IOException {
        int n = ch.send(ByteBuffer.wrap(frame), switchPort);
        if (n != frame.length) {
            throw new IOException("send buffer full");
        }
    }

    void send(long dst, String text) throws IOException {
        send(frame(dst, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** The next frame, or null if none arrives within {@code timeout}. */
    byte[] receive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            buf.clear();
            if (ch.receive(buf) != null) {
                buf.flip();
                byte[] out = new byte[buf.remaining()];
                buf.get(out);
                return out;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            sel.select(Math.max(1, left / 1_000_000));
            sel.selectedKeys().clear();
        }
    }

    /** Every frame already queued at the socket, without waiting. */
    List<byte[]> drain() throws IOException {
        List<byte[]> out = new ArrayList<>();
        while (true) {
            buf.clear();
            if (ch.receive(buf) == null) {
                return out;
            }
            buf.flip();
            byte[] f = new byte[buf.remaining()];
            buf.get(f);
            out.add(f);
        }
    }

    /** The payload of a frame as text. */
    static String text(byte[] frame) {
        return frame == null ? null
                : new String(Arrays.copyOfRange(frame, Ethernet.HEADER_BYTES, frame.length),
                        java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        sel.close();
        ch.close();
    }
}
