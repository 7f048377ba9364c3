package net.vnsnap.host.vswitch.learn;

import java.util.function.LongSupplier;

/**
 * Maps MAC addresses to the port they were last seen on, with ageing, in primitive arrays so nothing is allocated.
 *
 * @param <P> the port type
 */
public final class MacTable<P> {
    /** Open addressing with linear probing; not thread-safe (owned by the selector thread). */
    private final long[] keys;
    private final Object[] values;
    /** Clock reading (nanoseconds) of the last frame seen from each address; drives ageing. */
    private final long[] seen;
    private final int mask;
    /** Learning stops at this many entries so probe chains stay short; unknown addresses are then flooded. */
    private final int maxEntries;
    private final long ageNanos;
    private final LongSupplier clock;
    private int size;

    /**
     * @param capacity  the most addresses kept (rounded so the table is at most 3/4 full)
     * @param ageNanos  how long an address stays without being seen again
     * @param clock     nanosecond clock, injected so tests can age entries without sleeping
     */
    public MacTable(int capacity, long ageNanos, LongSupplier clock) {
        if (capacity < 1 || ageNanos <= 0) {
            throw new IllegalArgumentException("bad MAC table size or ageing time");
        }
        int slots = Integer.highestOneBit(Math.max(2, capacity * 4 / 3 + 1) - 1) << 1;
        this.keys = new long[slots];
        this.values = new Object[slots];
        this.seen = new long[slots];
        this.mask = slots - 1;
        this.maxEntries = capacity;
        this.ageNanos = ageNanos;
        this.clock = clock;
    }

    public int size() {
        return size;
    }

    /** Records that {@code mac} was seen on {@code port}; returns false when the table is full. */
    public boolean learn(long mac, P port) {
        long now = clock.getAsLong();
        int i = home(mac);
        while (values[i] != null) {
            if (keys[i] == mac) {
                values[i] = port;
                seen[i] = now;
                return true;
            }
            i = (i + 1) & mask;
        }
        if (size >= maxEntries) {
            return false;
        }
        keys[i] = mac;
        values[i] = port;
        seen[i] = now;
        size++;
        return true;
    }

    /** The port {@code mac} was last seen on, or null when unknown or aged out (an aged entry is removed). */
    @SuppressWarnings("unchecked")
    public P lookup(long mac) {
        int i = home(mac);
        while (values[i] != null) {
            if (keys[i] == mac) {
                if (clock.getAsLong() - seen[i] > ageNanos) {
                    deleteAt(i);
                    return null;
                }
                return (P) values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Forgets every address learned on {@code port}; returns how many were removed. */
    public int removePort(P port) {
        int removed = 0;
        int i = 0;
        while (i < values.length) {
            if (values[i] == port) {
                deleteAt(i);
                removed++;
                // deleteAt may have shifted a later entry into slot i: look at it again.
            } else {
                i++;
            }
        }
        return removed;
    }

    private int home(long mac) {
        long h = mac * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Backward-shift deletion: pulls later members of the probe chain forward so no tombstones are needed. */
    private void deleteAt(int hole) {
        int i = hole;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (values[j] == null) {
                break;
            }
            int k = home(keys[j]);
            boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (stays) {
                continue;
            }
            keys[i] = keys[j];
            values[i] = values[j];
            seen[i] = seen[j];
            i = j;
        }
        values[i] = null;
        size--;
    }
}
