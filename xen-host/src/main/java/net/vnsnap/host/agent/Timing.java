package net.vnsnap.host.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** The agent's wall clock and how it waits, injected so tests can control both. */
public interface Timing {

    Clock clock();

    /** Blocks for about {@code d}. */
    void sleep(Duration d) throws InterruptedException;

    /** The system clock with real sleeping. */
    static Timing system() {
        Clock c = Clock.systemUTC();
        return new Timing() {
            @Override
            public Clock clock() {
                return c;
            }

            @Override
            public void sleep(Duration d) throws InterruptedException {
                long nanos = d.toNanos();
                if (nanos > 0) {
                    Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
                }
            }
        };
    }

    /**
     * Waits until the clock reads {@code at} (no wait when null or past): sleeps in steps that shrink as the
     * instant approaches, so it overshoots by well under a millisecond on an idle host.
     */
    default void awaitInstant(Instant at) throws InterruptedException {
        if (at == null) {
            return;
        }
        while (true) {
            Duration left = Duration.between(clock().instant(), at);
            if (left.isNegative() || left.isZero()) {
                return;
            }
            if (left.toMillis() > 2) {
                sleep(left.minusMillis(1));
            } else {
                sleep(left.compareTo(Duration.ofMillis(1)) < 0 ? left : Duration.ofMillis(1));
            }
        }
    }
}
