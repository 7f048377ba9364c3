package net.vnsnap.host.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** A clock that only moves when the agent sleeps: sleeping advances it, so instants are exact and tests never wait. */
final class FakeTiming extends Clock implements Timing {
    private volatile Instant now;
    /** Every sleep the agent asked for, in order. */
    final List<Duration> sleeps = java.util.Collections.synchronizedList(new ArrayList<>());

    FakeTiming(Instant start) {
        this.now = start;
    }

    @Override
    public Clock clock() {
        return this;
    }

    @Override
    public synchronized void sleep(Duration d) {
        sleeps.add(d);
        now = now.plus(d);
    }

    /**
     * Moves the clock to {@code at} unless it is already there: several threads waiting for one instant all see
     * that instant, where relative sleeps computed from a stale reading would push the clock past it.
     */
    @Override
    public synchronized void awaitInstant(Instant at) {
        if (at != null && at.isAfter(now)) {
            sleeps.add(Duration.between(now, at));
            now = at;
        }
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
