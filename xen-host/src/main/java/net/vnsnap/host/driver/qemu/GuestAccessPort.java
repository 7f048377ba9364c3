package net.vnsnap.host.driver.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import net.vnsnap.host.access.UserListFormat;
import net.vnsnap.host.driver.DriverException;

/** One user-list exchange with a guest over its virtio-serial port: send the list, wait for its acknowledgement. */
final class GuestAccessPort {
    private GuestAccessPort() {
    }

    /**
     * Sends {@code list} (whose sequence number is {@code seq}) and returns the guest's answer to it. Answers
     * to other sequence numbers (left over from an earlier exchange that timed out) are skipped.
     */
    static UserListFormat.Ack exchange(Path socket, String list, long seq, Duration timeout, String vm) throws DriverException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector sel = Selector.open()) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(list.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(4096);
            StringBuilder line = new StringBuilder();
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new DriverException("guest " + vm + " did not acknowledge its user list within " + timeout.toSeconds()
                            + " s (is it running, and does its image run the vnsnap access agent?)");
                }
                sel.select(left);
                sel.selectedKeys().clear();
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    throw new DriverException("QEMU closed the user-list port of " + vm);
                }
                for (int i = 0; i < n; i++) {
                    char c = (char) (in.get(i) & 0xff);
                    if (c != '\n') {
                        if (line.length() < 1024) {
                            line.append(c);
                        }
                        continue;
                    }
                    String text = line.toString();
                    line.setLength(0);
                    try {
                        UserListFormat.Ack ack = UserListFormat.parseAck(text);
                        if (ack.seq() == seq) {
                            return ack;
                        }
                    } catch (IllegalArgumentException e) {
                        // Not an answer (e.g. noise from a guest shell); keep waiting for ours.
                    }
                }
            }
        } catch (IOException e) {
            throw new DriverException("cannot send the user list to " + vm + " through " + socket + ": " + e.getMessage(), e);
        }
    }
}
