package net.vnsnap.host.vswitch.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** Slots store and return frames with their epochs; the queue is a bounded FIFO. */
class FramePoolTest {

    @Test
    void storesCopiesAndReusesSlots() {
        FramePool pool = new FramePool(2, 64);
        ByteBuffer src = ByteBuffer.wrap("xxhello world, a frame".getBytes());
        int s = pool.store(src, 2, 20, 3, 1);
        assertEquals(0, src.position());
        assertArrayEquals("hello world, a frame".getBytes(), pool.copy(s));
        assertEquals(3, pool.senderEpoch(s));
        assertEquals(1, pool.receiverEpoch(s));
        ByteBuffer view = pool.frame(s);
        assertEquals(20, view.remaining());
        assertEquals('h', view.get(view.position()));
        int t = pool.store(src, 0, 14, 0, 0);
        assertEquals(-1, pool.store(src, 0, 14, 0, 0), "exhausted");
        pool.release(s);
        assertEquals(1, pool.available());
        assertEquals(s, pool.store(src, 0, 14, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> pool.store(ByteBuffer.allocate(100), 0, 65, 0, 0));
        assertEquals(t == s ? -1 : 0, pool.available());
    }

    @Test
    void slotQueueIsBoundedFifo() {
        SlotQueue q = new SlotQueue(3);
        assertEquals(-1, q.poll());
        for (int i = 0; i < 3; i++) {
            assertEquals(true, q.offer(i));
        }
        assertEquals(false, q.offer(9));
        assertEquals(0, q.poll());
        q.offer(3);
        assertEquals(1, q.poll());
        assertEquals(2, q.poll());
        assertEquals(3, q.poll());
        assertEquals(true, q.isEmpty());
    }
}
