package net.vnsnap.host.vswitch.frame;

import java.nio.ByteBuffer;

/** Equal-sized frame slots in one direct buffer, with each frame's epochs, so holding and recording allocate nothing. */
public final class FramePool {
    /** Not thread-safe: like everything here, owned by the switch's selector thread. */
    private final ByteBuffer memory;
    private final int slotBytes;
    private final int[] length;
    private final int[] senderEpoch;
    /** The receiver's epoch when the frame was stored; for recorded frames, the snapshot they belong to. */
    private final int[] receiverEpoch;
    /** Free slot numbers as a stack: the most recently freed slot is reused first, which keeps caches warm. */
    private final int[] free;
    private int freeCount;

    public FramePool(int slots, int slotBytes) {
        if (slots < 1 || slotBytes < Ethernet.HEADER_BYTES) {
            throw new IllegalArgumentException("bad pool size " + slots + " x " + slotBytes);
        }
        this.memory = ByteBuffer.allocateDirect(Math.multiplyExact(slots, slotBytes));
        this.slotBytes = slotBytes;
        this.length = new int[slots];
        this.senderEpoch = new int[slots];
        this.receiverEpoch = new int[slots];
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i;
        }
        this.freeCount = slots;
    }

    public int slotBytes() {
        return slotBytes;
    }

    public int available() {
        return freeCount;
    }

    public int capacity() {
        return free.length;
    }

    /**
     * Copies {@code len} bytes of {@code src} from absolute {@code off} into a free slot and returns its
     * number, or -1 when the pool is exhausted. The source's position and limit are untouched.
     */
    public int store(ByteBuffer src, int off, int len, int sender, int receiver) {
        if (len > slotBytes) {
            throw new IllegalArgumentException("frame of " + len + " bytes exceeds slot of " + slotBytes);
        }
        if (freeCount == 0) {
            return -1;
        }
        int slot = free[--freeCount];
        memory.clear(); // frame() narrows the limit, and absolute puts check against it
        memory.put(slot * slotBytes, src, off, len);
        length[slot] = len;
        senderEpoch[slot] = sender;
        receiverEpoch[slot] = receiver;
        return slot;
    }

    /** Returns a slot to the pool. */
    public void release(int slot) {
        free[freeCount++] = slot;
    }

    public int length(int slot) {
        return length[slot];
    }

    public int senderEpoch(int slot) {
        return senderEpoch[slot];
    }

    public int receiverEpoch(int slot) {
        return receiverEpoch[slot];
    }

    public void setReceiverEpoch(int slot, int epoch) {
        receiverEpoch[slot] = epoch;
    }

    /** The shared backing buffer with position and limit set to the slot's frame; valid until the next call. */
    public ByteBuffer frame(int slot) {
        int start = slot * slotBytes;
        memory.limit(start + length[slot]).position(start);
        return memory;
    }

    /** A fresh copy of a slot's frame, for the control path. */
    public byte[] copy(int slot) {
        byte[] out = new byte[length[slot]];
        memory.clear();
        memory.get(slot * slotBytes, out, 0, out.length);
        return out;
    }
}
