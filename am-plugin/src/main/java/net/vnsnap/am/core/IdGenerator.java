package net.vnsnap.am.core;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Where new sliver ids come from: unique, of letters, digits and '-' only (valid sliver URN names and VM names). */
@FunctionalInterface
public interface IdGenerator {

    String next();

    /** Random UUIDs, as the reference AM names slivers. */
    static IdGenerator random() {
        return () -> UUID.randomUUID().toString();
    }

    /** {@code prefix-1}, {@code prefix-2}, ...: repeatable ids for tests. */
    static IdGenerator counting(String prefix) {
        AtomicLong n = new AtomicLong();
        return () -> prefix + "-" + n.incrementAndGet();
    }
}
