package net.vnsnap.geni.am;

import static net.vnsnap.geni.am.Calls.ok;
import static net.vnsnap.geni.testbed.LocalTestbed.GENI3;
import static net.vnsnap.geni.testbed.LocalTestbed.credentials;
import static net.vnsnap.geni.testbed.LocalTestbed.options;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.rpc.RpcEndpoint;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.LocalTestbed;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AM calls per second over mutual TLS against the vnsnap-am process (GetVersion, and Status of a running 1-VM slice,
 * which asks its host), with 1, 8 and 32 concurrent clients; the baseline is an echo endpoint on the same server
 * stack (SecureXmlRpcServer, same identity and TLS) in the benchmark's JVM, measured in the same run.
 */
@Tag("benchmark")
class AmCallsBenchmark {

    private static final int[] CLIENTS = {1, 8, 32};
    private static final int RUNS = 3;
    private static final long RUN_MILLIS = 4_000;
    private static final long WARMUP_MILLIS = 3_000;

    @TempDir
    Path tmp;

    /** Answers every call with its first parameter: the cost of the server stack and TLS alone. */
    static final class Echo implements RpcEndpoint {
        @Override
        public Object call(RpcCaller caller, String method, List<Object> params) {
            return Map.of("code", Map.of("geni_code", 0), "value", params.isEmpty() ? "" : params.get(0), "output", "");
        }

        @Override
        public Object badRequest(String reason) {
            return Map.of("code", Map.of("geni_code", 1), "value", 0, "output", reason);
        }

        @Override
        public Object internalError(String method, Exception e) {
            return Map.of("code", Map.of("geni_code", 5), "value", 0, "output", String.valueOf(e.getMessage()));
        }
    }

    @Test
    void callsPerSecond() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        BenchReport report = new BenchReport("am-calls", "vnsnap-am calls/s over mutual TLS (new client per thread, keep-alive),"
                + " 1/8/32 concurrent clients, " + RUNS + " runs of " + RUN_MILLIS + " ms each; baseline: echo endpoint, same stack");
        try (LocalTestbed bed = LocalTestbed.start(tmp)) {
            String slice = bed.sliceUrn("bench");
            Object[] creds = credentials(bed.sliceCredential("bench"));
            SecureXmlRpcClient v3 = bed.v3();
            ok(v3.call("Allocate", slice, creds, Requests.oneVm(bed.amUrn()), options()));
            ok(v3.call("Provision", new Object[] {slice}, creds, options("geni_rspec_version", GENI3)));
            Calls.awaitState(v3, new Object[] {slice}, creds, "geni_ready", 300);

            SecureXmlRpcServer echo = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0),
                    LocalTestbed.tls(LocalFederation.load(bed.federation().serverDirectory(LocalTestbed.AM)),
                            bed.federation().trustRootsDirectory()), new SecureXmlRpcServer.Limits(8L << 20, 64, 256));
            echo.serve("/", new Echo()).start();
            URI echoUrl = URI.create("https://127.0.0.1:" + echo.port() + "/");
            try {
                for (int n : CLIENTS) {
                    Stats base = measure(bed, echoUrl, n, c -> c.call("GetVersion"));
                    Stats version = measure(bed, bed.am().url(), n, c -> ok(c.call("GetVersion")));
                    Stats status = measure(bed, bed.am().url(), n, c -> ok(c.call("Status", new Object[] {slice}, creds, options())));
                    report.add("echo baseline, " + n + " client(s)", "calls/s", base);
                    report.add("GetVersion, " + n + " client(s)", "calls/s", version);
                    report.add("Status (1 VM, asks its host), " + n + " client(s)", "calls/s", status);
                    report.ratio("GetVersion / echo, " + n + " client(s)", version.median() / base.median(), "ratio of medians");
                }
            } finally {
                echo.close();
                ok(v3.call("Delete", new Object[] {slice}, creds, options()));
            }
        }
        report.publish(System.out);
    }

    @FunctionalInterface
    interface Call {
        Object on(SecureXmlRpcClient c) throws Exception;
    }

    /** Calls per second of {@code n} clients calling as fast as they can, a warm-up then {@link #RUNS} timed runs. */
    static Stats measure(LocalTestbed bed, URI url, int n, Call call) throws Exception {
        List<SecureXmlRpcClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(new SecureXmlRpcClient(url, bed.aliceTls(), 60_000));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            run(pool, clients, call, WARMUP_MILLIS);
            double[] rates = new double[RUNS];
            for (int r = 0; r < RUNS; r++) {
                long t0 = System.nanoTime();
                long calls = run(pool, clients, call, RUN_MILLIS);
                rates[r] = calls / ((System.nanoTime() - t0) / 1e9);
            }
            return new Stats(rates);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long run(ExecutorService pool, List<SecureXmlRpcClient> clients, Call call, long millis) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        AtomicLong count = new AtomicLong();
        List<Future<?>> fs = new ArrayList<>();
        for (SecureXmlRpcClient c : clients) {
            Callable<Void> task = () -> {
                while (System.nanoTime() < end) {
                    call.on(c);
                    count.incrementAndGet();
                }
                return null;
            };
            fs.add(pool.submit(task));
        }
        for (Future<?> f : fs) {
            f.get(5, TimeUnit.MINUTES);
        }
        return count.get();
    }
}
