package net.vnsnap.am.snapshot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;

/** Runs one host call on many hosts in parallel and turns every answer, exception or silence into an {@link Outcome}. */
final class HostCalls {

    /** One call to one host's agent. */
    @FunctionalInterface
    interface Call<T> {
        T call(String hostId, HostAgent agent) throws HostException;
    }

    /**
     * One host's answer.
     *
     * @param host     the host
     * @param value    its result, null on error
     * @param error    why it failed, null on success
     * @param answered when the answer arrived (the coordinator's clock)
     * @param rtt      how long the call took
     * @param timedOut true when the coordinator stopped waiting (the call may still be running on the host)
     */
    record Outcome<T>(String host, T value, HostException error, Instant answered, Duration rtt, boolean timedOut) {
        Outcome(String host, T value, HostException error, Instant answered, Duration rtt) {
            this(host, value, error, answered, rtt, false);
        }

        boolean ok() {
            return error == null;
        }
    }

    private final HostDirectory directory;
    private final Executor executor;
    private final Clock clock;

    HostCalls(HostDirectory directory, Executor executor, Clock clock) {
        this.directory = directory;
        this.executor = executor;
        this.clock = clock;
    }

    /** Starts the call on one host; the future never completes exceptionally. */
    <T> CompletableFuture<Outcome<T>> start(String host, Call<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            long n0 = System.nanoTime();
            HostException err;
            try {
                T v = call.call(host, directory.host(host));
                return new Outcome<>(host, v, null, clock.instant(), Duration.ofNanos(System.nanoTime() - n0));
            } catch (HostException e) {
                err = e;
            } catch (RuntimeException e) {
                err = new HostException(HostException.Reason.INTERNAL, "host agent call failed: " + e, e);
            }
            return new Outcome<>(host, null, err, clock.instant(), Duration.ofNanos(System.nanoTime() - n0));
        }, executor);
    }

    /** Runs the call on every host in parallel and waits up to {@code timeout} for all; silent hosts count as unreachable. */
    <T> Map<String, Outcome<T>> onEach(Collection<String> hosts, Duration timeout, Call<T> call) throws InterruptedException {
        Map<String, CompletableFuture<Outcome<T>>> running = new LinkedHashMap<>();
        for (String h : hosts) {
            running.put(h, start(h, call));
        }
        return collect(running, System.nanoTime() + timeout.toNanos(), timeout);
    }

    /** Waits for started calls until {@code deadlineNanos} (System.nanoTime); unfinished ones become UNREACHABLE outcomes. */
    <T> Map<String, Outcome<T>> collect(Map<String, CompletableFuture<Outcome<T>>> running, long deadlineNanos, Duration limit)
            throws InterruptedException {
        Map<String, Outcome<T>> out = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<Outcome<T>>> e : running.entrySet()) {
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            try {
                out.put(e.getKey(), e.getValue().get(left, TimeUnit.NANOSECONDS));
            } catch (TimeoutException t) {
                out.put(e.getKey(), new Outcome<>(e.getKey(), null, new HostException(HostException.Reason.UNREACHABLE,
                        "no answer within " + limit), clock.instant(), limit, true));
            } catch (ExecutionException x) {
                out.put(e.getKey(), new Outcome<>(e.getKey(), null, new HostException(HostException.Reason.INTERNAL,
                        String.valueOf(x.getCause()), x.getCause()), clock.instant(), Duration.ZERO));
            }
        }
        return out;
    }

    /** A call that is tried a second time when the first attempt throws. */
    static <T> Call<T> retriedOnce(Call<T> call) {
        return (host, agent) -> {
            try {
                return call.call(host, agent);
            } catch (HostException first) {
                try {
                    return call.call(host, agent);
                } catch (HostException second) {
                    second.addSuppressed(first);
                    throw second;
                }
            }
        };
    }
}
