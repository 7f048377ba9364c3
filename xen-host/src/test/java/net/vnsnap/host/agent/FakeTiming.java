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
