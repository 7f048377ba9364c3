package net.vnsnap.am.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.driver.SnapshotMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Advertisements' host info: asked once per max age, served stale while a busy host is asked again, failures reported. */
class HostInfoCacheTest {

    private final MutableClock clock = new MutableClock(AmFixture.T0);
    private final ExecutorService refresher = Executors.newCachedThreadPool();
    /** Calls per host. */
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    /** While closed, h2's info() blocks, as a host busy writing a snapshot might. */
    private volatile CountDownLatch h2Open = new CountDownLatch(0);
    private volatile boolean h2Down;

    @AfterEach
    void stop() {
        h2Open.countDown();
        refresher.shutdownNow();
    }

    private HostInfo ask(String id) throws HostException {
        int n = asked.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        if (id.equals("h2")) {
            try {
                if (!h2Open.await(30, TimeUnit.SECONDS)) {
                    throw new HostException(HostException.Reason.UNREACHABLE, "h2 timed out");
                }
            } catch (InterruptedException e) {
                throw new HostException(HostException.Reason.UNREACHABLE, "interrupted");
            }
            if (h2Down) {
                throw new HostException(HostException.Reason.UNREACHABLE, "h2 is down");
            }
        }
        return new HostInfo(id, "qemu", "10", "tcg", Set.of(SnapshotMode.COW), 1L << 30, id + ":1", List.of("guest"), 4, n);
    }

    private HostInfoCache cache(Duration maxAge) {
        return new HostInfoCache(List.of("h1", "h2"), this::ask, clock, maxAge, refresher);
    }

    private record Survey(Map<String, HostInfo> reachable, Map<String, String> unreachable) {
    }

    private static Survey survey(HostInfoCache c) {
        Map<String, HostInfo> r = new LinkedHashMap<>();
        Map<String, String> u = new LinkedHashMap<>();
        c.survey(r, u);
        return new Survey(r, u);
    }

    @Test
    void fiftyConcurrentSurveysAskEachHostOnce() throws Exception {
        HostInfoCache c = cache(Duration.ofSeconds(5));
        ExecutorService callers = Executors.newFixedThreadPool(50);
        try {
            List<Future<Survey>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                all.add(callers.submit(() -> survey(c)));
            }
            for (Future<Survey> f : all) {
                assertEquals(Set.of("h1", "h2"), f.get(30, TimeUnit.SECONDS).reachable().keySet());
            }
        } finally {
            callers.shutdownNow();
        }
        assertEquals(1, asked.get("h1").get());
        assertEquals(1, asked.get("h2").get());
        clock.advance(Duration.ofSeconds(4));
        survey(c);
        assertEquals(1, asked.get("h1").get(), "an answer younger than the max age is reused");
    }

    @Test
    void aStaleAnswerIsServedAtOnceWhileABusyHostIsAskedAgain() throws Exception {
        HostInfoCache c = cache(Duration.ofSeconds(5));
        Survey first = survey(c);
        assertEquals(1, first.reachable().get("h2").runningVms());
        h2Open = new CountDownLatch(1);
        clock.advance(Duration.ofSeconds(6));
        // h2 now blocks: surveys still answer at once with its previous info, and only one refresh waits on it.
        for (int i = 0; i < 5; i++) {
            Survey s = survey(c);
            assertEquals(1, s.reachable().get("h2").runningVms(), "h2's previous answer");
            assertEquals(Set.of("h1", "h2"), s.reachable().keySet());
        }
        long began = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (asked.get("h2").get() < 2 && System.nanoTime() < began) {
            Thread.sleep(10);
        }
        survey(c);
        assertEquals(2, asked.get("h2").get(), "one refresh of h2 in flight, however many surveys");
        h2Open.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (survey(c).reachable().get("h2").runningVms() != 2 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(2, survey(c).reachable().get("h2").runningVms(), "the refreshed answer replaces the old one");
    }

    @Test
    void aHostThatFailsIsReportedWithItsReasonAndAskedAgainLater() throws Exception {
        HostInfoCache c = cache(Duration.ofSeconds(5));
        h2Down = true;
        Survey s = survey(c);
        assertEquals(Set.of("h1"), s.reachable().keySet());
        assertTrue(s.unreachable().get("h2").contains("h2 is down"), s.toString());
        h2Down = false;
        clock.advance(Duration.ofSeconds(6));
        survey(c); // serves the failure once more while h2 is asked again
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!survey(c).reachable().containsKey("h2") && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(Set.of("h1", "h2"), survey(c).reachable().keySet());
    }

    @Test
    void recordedAnswersCountAsFreshAndZeroMaxAgeAsksEveryTime() throws Exception {
        HostInfoCache c = cache(Duration.ofSeconds(5));
        c.record("h1", new HostInfo("h1", "qemu", "10", "tcg", Set.of(), 0, "h1:1", List.of(), 4, 3));
        c.record("h2", new HostInfo("h2", "qemu", "10", "tcg", Set.of(), 0, "h2:1", List.of(), 4, 3));
        assertEquals(3, survey(c).reachable().get("h1").runningVms());
        assertEquals(null, asked.get("h1"));
        HostInfoCache none = cache(Duration.ZERO);
        survey(none);
        survey(none);
        assertEquals(2, asked.get("h1").get());
    }
}
