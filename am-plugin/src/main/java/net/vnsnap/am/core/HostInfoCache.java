package net.vnsnap.am.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The hosts' info as advertisements use it: each host is asked at most once per {@code maxAge} however many
 * callers there are, and a caller holding an older answer gets it at once while the refresh runs on the
 * executor, so ListResources never waits behind a host busy with a snapshot.
 */
public final class HostInfoCache {

    private static final Logger LOG = LogManager.getLogger(HostInfoCache.class);

    /** Asks one host for its info. */
    @FunctionalInterface
    public interface Asker {
        HostInfo info(String hostId) throws HostException;
    }

    /** One host's last answer: its info, or why it could not be had; {@code at} is when the ask ended. */
    private record Answer(HostInfo info, String error, Instant at) {
    }

    private final List<String> hostIds;
    private final Asker asker;
    private final Clock clock;
    /** Answers younger than this are served without asking; zero asks on every survey (no caching). */
    private final Duration maxAge;
    /** Runs refreshes; a direct executor makes the caller that finds an answer stale refresh it itself. */
    private final Executor refresher;

    private final Object lock = new Object();
    /** The last answer of each host. @GuardedBy("lock") */
    private final Map<String, Answer> answers = new HashMap<>();
    /** The ask running for each host, shared by every caller that has no answer yet. @GuardedBy("lock") */
    private final Map<String, CompletableFuture<Answer>> asking = new HashMap<>();

    public HostInfoCache(List<String> hostIds, Asker asker, Clock clock, Duration maxAge, Executor refresher) {
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must not be negative");
        }
        this.hostIds = List.copyOf(hostIds);
        this.asker = asker;
        this.clock = clock;
        this.maxAge = maxAge;
        this.refresher = refresher;
    }

    /** No caching: every survey asks every host, in the calling thread. */
    public static HostInfoCache uncached(HostRegistry hosts, Clock clock) {
        return new HostInfoCache(hosts.hostIds(), id -> hosts.agent(id).info(), clock, Duration.ZERO, Runnable::run);
    }

    /**
     * Fills {@code reachable} with each host's info and {@code unreachable} with why a host could not be had. Fresh
     * answers are used as they are; a stale one is used while a refresh runs in the background; a host never
     * answered yet is waited for (one ask shared by all callers).
     */
    public void survey(Map<String, HostInfo> reachable, Map<String, String> unreachable) {
        Map<String, CompletableFuture<Answer>> waits = new LinkedHashMap<>();
        Map<String, CompletableFuture<Answer>> toStart = new LinkedHashMap<>();
        Map<String, Answer> got = new LinkedHashMap<>();
        synchronized (lock) {
            Instant now = clock.instant();
            for (String id : hostIds) {
                Answer a = maxAge.isZero() ? null : answers.get(id);
                if (a != null && Duration.between(a.at(), now).compareTo(maxAge) < 0) {
                    got.put(id, a);
                    continue;
                }
                CompletableFuture<Answer> f = asking.get(id);
                if (f == null) {
                    f = new CompletableFuture<>();
                    asking.put(id, f);
                    toStart.put(id, f);
                }
                if (a != null) {
                    got.put(id, a);
                } else {
                    waits.put(id, f);
                }
            }
        }
        // Outside the lock: a direct executor runs the ask right here.
        toStart.forEach(this::startAsk);
        for (Map.Entry<String, CompletableFuture<Answer>> w : waits.entrySet()) {
            got.put(w.getKey(), await(w.getKey(), w.getValue()));
        }
        for (String id : hostIds) {
            Answer a = got.get(id);
            if (a.info() != null) {
                reachable.put(id, a.info());
            } else {
                unreachable.put(id, a.error());
            }
        }
    }

    /** Records an answer obtained elsewhere (Allocate asks every host itself), so the cache is at least as fresh. */
    public void record(String hostId, HostInfo info) {
        synchronized (lock) {
            answers.put(hostId, new Answer(info, null, clock.instant()));
        }
    }

    /** Asks the host on the executor (in this thread when the executor refuses) and completes {@code f} with the answer. */
    private void startAsk(String id, CompletableFuture<Answer> f) {
        Runnable ask = () -> {
            Answer a = null;
            try {
                a = new Answer(asker.info(id), null, clock.instant());
            } catch (HostException | RuntimeException e) {
                LOG.warn("host {} left out of the advertisement: {}", id, e.getMessage());
                a = new Answer(null, e.getMessage() == null ? e.toString() : e.getMessage(), clock.instant());
            } finally {
                // Even on an Error, waiters must not wait forever and the next survey must ask again.
                Answer done = a != null ? a : new Answer(null, "asking host " + id + " broke", clock.instant());
                synchronized (lock) {
                    if (a != null) {
                        answers.put(id, a);
                    }
                    asking.remove(id, f);
                }
                f.complete(done);
            }
        };
        try {
            refresher.execute(ask);
        } catch (RejectedExecutionException e) {
            ask.run();
        }
    }

    private Answer await(String id, CompletableFuture<Answer> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(null, "interrupted while asking host " + id, clock.instant());
        } catch (ExecutionException e) {
            return new Answer(null, String.valueOf(e.getCause()), clock.instant());
        }
    }
}
