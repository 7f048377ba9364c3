package net.vnsnap.host.vswitch;

import java.util.Arrays;

/**
 * A frame recorded as channel state: sent before its sender's cut, delivered after its receiver's cut; the
 * snapshot stores it and the restore replays it into the receiver first.
 *
 * @param senderEpoch    the sender's epoch when it sent the frame
 * @param snapshotEpoch  the receiver's epoch when the frame arrived: the snapshot it belongs to
 * @param frame          the Ethernet frame (copied in and out, so the record stays immutable)
 */
public record RecordedFrame(int senderEpoch, int snapshotEpoch, byte[] frame) {
    public RecordedFrame {
        frame = frame.clone();
    }

    @Override
    public byte[] frame() {
        return frame.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordedFrame r && r.senderEpoch == senderEpoch && r.snapshotEpoch == snapshotEpoch
                && Arrays.equals(r.frame, frame);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * senderEpoch + snapshotEpoch) + Arrays.hashCode(frame);
    }

    @Override
    public String toString() {
        return "RecordedFrame[senderEpoch=" + senderEpoch + ", snapshotEpoch=" + snapshotEpoch + ", bytes="
                + frame.length + "]";
    }
}
