package net.vnsnap.host.agent;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.vnsnap.host.vswitch.RecordedFrame;

/**
 * The binary format of one port's channel state: magic {@code VNSNAPCH}, version, frame count, then per frame
 * sender epoch, snapshot epoch, length and the Ethernet bytes (all integers big-endian).
 */
final class ChannelStateFile {
    private static final byte[] MAGIC = "VNSNAPCH".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** Larger than any frame the switch accepts; a bigger length means a damaged file. */
    private static final int MAX_FRAME = 65_536;

    private ChannelStateFile() {
    }

    static byte[] encode(List<RecordedFrame> frames) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(frames.size());
            for (RecordedFrame f : frames) {
                byte[] b = f.frame();
                out.writeInt(f.senderEpoch());
                out.writeInt(f.snapshotEpoch());
                out.writeInt(b.length);
                out.write(b);
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    static List<RecordedFrame> decode(byte[] data, String where) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(where + ": not a channel-state file");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(where + ": channel-state version " + version + " is not supported");
            }
            int n = in.readInt();
            List<RecordedFrame> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int sender = in.readInt();
                int snap = in.readInt();
                int len = in.readInt();
                if (len < 0 || len > MAX_FRAME) {
                    throw new IOException(where + ": frame " + i + " has a bad length " + len);
                }
                out.add(new RecordedFrame(sender, snap, in.readNBytes(len)));
            }
            return out;
        }
    }
}
