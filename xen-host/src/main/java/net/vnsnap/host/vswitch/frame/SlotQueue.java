package net.vnsnap.host.vswitch.frame;

/** A bounded FIFO of frame-pool slot numbers, kept in an int ring so queueing allocates nothing. */
public final class SlotQueue {
    private final int[] ring;
    private int head;
    private int size;

    public SlotQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.ring = new int[capacity];
    }

    public int capacity() {
        return ring.length;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public boolean isFull() {
        return size == ring.length;
    }

    /** Appends a slot; returns false when the queue is full. */
    public boolean offer(int slot) {
        if (size == ring.length) {
            return false;
        }
        ring[(head + size) % ring.length] = slot;
        size++;
        return true;
    }

    /** Removes and returns the oldest slot, or -1 when empty. */
    public int poll() {
        if (size == 0) {
            return -1;
        }
        int slot = ring[head];
        head = (head + 1) % ring.length;
        size--;
        return slot;
    }
}
