package net.vnsnap.host.vswitch.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Learning, ageing, capacity and deletion of the MAC table, checked against a HashMap model. */
class MacTableTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void learnsMovesAndForgetsAfterAgeing() {
        MacTable<String> t = new MacTable<>(16, 100, now::get);
        assertTrue(t.learn(0x1L, "p1"));
        assertEquals("p1", t.lookup(0x1L));
        t.learn(0x1L, "p2");
        assertEquals("p2", t.lookup(0x1L), "a MAC that moves is re-learned on its new port");
        now.set(100);
        assertEquals("p2", t.lookup(0x1L), "exactly the ageing time is still fresh");
        now.set(101);
        assertNull(t.lookup(0x1L));
        assertEquals(0, t.size());
    }

    @Test
    void refuselearningWhenFull() {
        MacTable<String> t = new MacTable<>(3, 1_000, now::get);
        assertTrue(t.learn(1, "a"));
        assertTrue(t.learn(2, "a"));
        assertTrue(t.learn(3, "a"));
        assertFalse(t.learn(4, "a"));
        assertTrue(t.learn(2, "b"), "updating a known address still works when full");
        assertNull(t.lookup(4));
    }

    @Test
    void agreesWithAMapUnderRandomLearnRemoveAndAgeing() {
        Random rnd = new Random(7);
        MacTable<Integer> t = new MacTable<>(200, 50, now::get);
        Map<Long, Integer> port = new HashMap<>();
        Map<Long, Long> seen = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            now.addAndGet(rnd.nextInt(3));
            // Few distinct addresses with colliding low bits, so probe chains and backward shifts get exercised.
            long mac = (long) rnd.nextInt(150) << 40 | 0x52;
            int op = rnd.nextInt(10);
            if (op < 5) {
                if (port.containsKey(mac) || port.size() < 200) {
                    assertTrue(t.learn(mac, op));
                    port.put(mac, op);
                    seen.put(mac, now.get());
                }
            } else if (op < 9) {
                Integer expected = port.get(mac);
                if (expected != null && now.get() - seen.get(mac) > 50) {
                    expected = null;
                    port.remove(mac);
                    seen.remove(mac);
                }
                assertEquals(expected, t.lookup(mac), "step " + step);
            } else {
                int victim = rnd.nextInt(5);
                t.removePort(victim);
                port.values().removeIf(v -> v == victim);
                seen.keySet().retainAll(port.keySet());
            }
            assertEquals(port.size(), t.size(), "step " + step);
        }
    }
}
