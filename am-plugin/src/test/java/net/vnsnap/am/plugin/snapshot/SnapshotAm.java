package net.vnsnap.am.plugin.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.am.api.v3.AmV3Endpoint;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.core.AggregateManager;
import net.vnsnap.am.core.AmFixture;
import net.vnsnap.am.core.AmPolicy;
import net.vnsnap.am.core.HostRegistry;
import net.vnsnap.am.core.IdGenerator;
import net.vnsnap.am.slice.InMemorySliceStore;
import net.vnsnap.am.slice.SliceStore;
import net.vnsnap.am.snapshot.CoordinatorSettings;
import net.vnsnap.am.snapshot.HostDirectory;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.testkit.FakeHost;
import net.vnsnap.am.testkit.TestClock;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.host.api.HostAgent;

/**
 * An aggregate manager hosting the snapshot plugin over two snapshot-capable fake Xen hosts, with the real
 * coordinator and catalog, one test clock for all of them, and v3 calls made as alice through the endpoint.
 */
final class SnapshotAm implements AutoCloseable {

    static final long GIB = 1L << 30;

    final AmFixture fx;
    final TestClock clock = new TestClock(AmFixture.T0);
    final FakeHost h1 = new FakeHost("h1", clock, 64 * GIB).asHypervisor("xen", List.of("debian", "busybox"));
    final FakeHost h2 = new FakeHost("h2", clock, 64 * GIB).asHypervisor("xen", List.of("debian", "busybox"));
    final ExecutorService hostCalls = Executors.newCachedThreadPool();
    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    final AtomicInteger ids = new AtomicInteger();
    final SnapshotCatalog catalog;
    final SnapshotCoordinator coordinator;
    final SnapshotPlugin plugin;
    final SliceStore store = new InMemorySliceStore();
    final AggregateManager am;
    final AmV3Endpoint v3;

    /** With the SQLite catalog in {@code sqliteDir}, or the in-memory one when it is null. */
    SnapshotAm(AmFixture fx, Path sqliteDir) throws Exception {
        this.fx = fx;
        catalog = sqliteDir == null ? new InMemorySnapshotCatalog() : SqliteSnapshotCatalog.open(sqliteDir.resolve("snapshots.db"));
        CoordinatorSettings s = CoordinatorSettings.defaults().withPollInterval(Duration.ofMillis(5))
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(30));
        coordinator = new SnapshotCoordinator(clock, hostCalls, HostDirectory.of(Map.of("h1", h1, "h2", h2)), catalog,
                () -> "snap-" + ids.incrementAndGet(), s);
        plugin = new SnapshotPlugin(coordinator, catalog, clock, scheduler, null);
        Map<String, HostAgent> agents = new LinkedHashMap<>();
        agents.put("h1", h1);
        agents.put("h2", h2);
        am = new AggregateManager(clock, fx.authorizer(clock), store, HostRegistry.of(agents),
                AmPolicy.defaults(AmFixture.AM_URN, "busybox"), List.of(plugin), IdGenerator.counting("s"),
                "https://am.test/", null);
        v3 = new AmV3Endpoint(am);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> call(String method, Object... params) {
        return (Map<String, Object>) v3.call(fx.alice, method, List.of(params));
    }

    Object[] creds(String slice) throws Exception {
        return AmFixture.creds(fx.cred(slice));
    }

    /** Allocates and provisions {@code rspec} as slice {@code name}; returns the slice URN. */
    String provision(String name, String rspec) throws Exception {
        String slice = fx.sliceUrn(name);
        ok(call("Allocate", slice, creds(name), rspec, Map.of()));
        ok(call("Provision", new Object[] {slice}, creds(name), Map.of("geni_rspec_version", AmFixture.GENI3)));
        return slice;
    }

    Map<String, Object> poa(String name, String action, Map<String, Object> options) throws Exception {
        return call("PerformOperationalAction", new Object[] {fx.sliceUrn(name)}, creds(name), action, options);
    }

    Map<String, Object> status(String name) throws Exception {
        return call("Status", new Object[] {fx.sliceUrn(name)}, creds(name), Map.of());
    }

    String manifest(String name) throws Exception {
        Map<?, ?> v = (Map<?, ?>) ok(call("Describe", new Object[] {fx.sliceUrn(name)}, creds(name),
                Map.of("geni_rspec_version", AmFixture.GENI3)));
        return (String) v.get("geni_rspec");
    }

    /** Polls Status (as a client would) until every sliver satisfies {@code done}; returns the last slivers. */
    List<Map<String, Object>> pollUntil(String name, Predicate<Map<String, Object>> done) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<Map<String, Object>> last = List.of();
        while (System.nanoTime() < end) {
            last = slivers(ok(status(name)));
            if (last.stream().allMatch(done)) {
                return last;
            }
            Thread.sleep(10);
        }
        return fail("slivers never reached the state: " + last);
    }

    List<Map<String, Object>> pollUntilReady(String name) throws Exception {
        return pollUntil(name, s -> "geni_ready".equals(s.get("geni_operational_status")));
    }

    @SuppressWarnings("unchecked")
    static Object ok(Map<String, Object> r) {
        assertEquals(0, AmFixture.code(r), () -> "expected success, got " + r);
        return r.get("value");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> slivers(Object v) {
        Object s = v instanceof Map<?, ?> m ? m.get("geni_slivers") : v;
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : s instanceof Object[] a ? List.of(a) : (List<Object>) s) {
            out.add((Map<String, Object>) o);
        }
        return out;
    }

    /** A request with two Xen nodes on one LAN, bound to h1 and h2, each carrying {@code snap} (may be empty). */
    static String request(String snap1, String snap2) {
        return "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" xmlns:snap=\"http://vnsnap.net/rspec/ext/snapshot/1\""
                + " type=\"request\">\n" + node("vm1", "h1", "10.10.1.1", snap1) + node("vm2", "h2", "10.10.1.2", snap2)
                + "  <link client_id=\"lan0\"><interface_ref client_id=\"vm1:if0\"/><interface_ref client_id=\"vm2:if0\"/></link>\n"
                + "</rspec>\n";
    }

    private static String node(String id, String host, String ip, String snap) {
        return "  <node client_id=\"" + id + "\" exclusive=\"false\" component_id=\"urn:publicid:IDN+vnsnap:test+node+" + host
                + "\">\n    <sliver_type name=\"xen-vm\"/>\n"
                + "    <interface client_id=\"" + id + ":if0\"><ip address=\"" + ip + "\" netmask=\"255.255.255.0\" type=\"ipv4\"/></interface>\n"
                + (snap.isEmpty() ? "" : "    " + snap + "\n") + "  </node>\n";
    }

    private static final Pattern JSON_MEMBER = Pattern.compile("\"([^\"]+)\"\\s*:\\s*(\"([^\"]*)\"|true|false|-?\\d+)");

    /**
     * The options Omni sends for {@code omni -V3 --optionsfile FILE poa ...}: the file's top-level JSON members (flat
     * strings, booleans and integers here) become options as they are, XML-RPC typed.
     */
    static Map<String, Object> omniOptions(String json) {
        Map<String, Object> m = new LinkedHashMap<>();
        Matcher x = JSON_MEMBER.matcher(json);
        while (x.find()) {
            String v = x.group(2);
            m.put(x.group(1), x.group(3) != null ? x.group(3) : v.equals("true") ? Boolean.TRUE
                    : v.equals("false") ? Boolean.FALSE : (Object) Integer.valueOf(v));
        }
        return m;
    }

    @Override
    public void close() throws Exception {
        plugin.close();
        coordinator.close();
        scheduler.shutdownNow();
        hostCalls.shutdownNow();
        catalog.close();
    }
}
