package net.vnsnap.am.core;

import static net.vnsnap.am.core.AmFixture.GENI3;
import static net.vnsnap.am.core.AmFixture.code;
import static net.vnsnap.am.core.AmFixture.creds;
import static net.vnsnap.am.core.AmFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.vnsnap.am.api.ActionResult;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.plugin.AmPlugin;
import net.vnsnap.am.plugin.PluginAction;
import net.vnsnap.am.plugin.PluginContext;
import net.vnsnap.am.slice.InMemorySliceStore;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.am.slice.sqlite.SqliteSliceStore;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AM core through the endpoints' decoding (no TLS): placement, segments and VMs on fake hosts, every
 * refusal with its geni_code and nothing changed, best effort, expiry, restart over SQLite, plugins.
 */
class AggregateManagerTest {

    @TempDir
    static Path dir;
    static AmFixture fx;
    static String demo;
    static String demoCred;

    @BeforeAll
    static void federation() throws Exception {
        fx = new AmFixture(dir);
        demo = fx.sliceUrn("demo");
        demoCred = fx.cred("demo");
    }

    AmFixture.Harness harness() throws Exception {
        return fx.new Harness();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> value(Map<String, Object> r) {
        assertEquals(0, code(r), () -> "expected success, got " + r);
        return (Map<String, Object>) r.get("value");
    }

    static Object ok(Map<String, Object> r) {
        assertEquals(0, code(r), () -> "expected success, got " + r);
        return r.get("value");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> slivers(Object v) {
        Object s = v instanceof Map<?, ?> m ? m.get("geni_slivers") : v;
        List<?> l = s instanceof Object[] a ? List.of(a) : (List<?>) s;
        return l.stream().map(o -> (Map<String, Object>) o).toList();
    }

    Map<String, Object> allocate(AmFixture.Harness h, String rspec, Map<String, Object> opts) {
        return h.v3(fx.alice, "Allocate", demo, creds(demoCred), rspec, opts);
    }

    Map<String, Object> provision(AmFixture.Harness h, Map<String, Object> opts) {
        Map<String, Object> o = new java.util.HashMap<>(opts);
        o.put("geni_rspec_version", GENI3);
        return h.v3(fx.alice, "Provision", new Object[] {demo}, creds(demoCred), o);
    }

    @Test
    void allocateThenProvisionBuildsSegmentsTunnelsAndVms() throws Exception {
        var h = harness();
        Map<String, Object> a = value(allocate(h, AmFixture.twoNodes(true), options()));
        String manifest = (String) a.get("geni_rspec");
        assertTrue(manifest.contains("type=\"manifest\""), manifest);
        assertTrue(manifest.contains("component_id=\"urn:publicid:IDN+vnsnap:test+node+h1\""), manifest);
        assertTrue(manifest.contains("sliver_id=\"urn:publicid:IDN+vnsnap:test+sliver+s-1\""), manifest);
        List<Map<String, Object>> s = slivers(a);
        assertEquals(2, s.size());
        assertEquals("geni_allocated", s.get(0).get("geni_allocation_status"));
        assertEquals("geni_pending_allocation", s.get(0).get("geni_operational_status"));
        assertEquals("2027-06-01T00:10:00+00:00", s.get(0).get("geni_expires"), "the 10-minute allocation lease");
        assertTrue(h.h1.states.isEmpty(), "Allocate touches no host");

        Map<String, Object> p = value(provision(h, options("geni_users", new Object[] {
            Map.of("urn", "urn:publicid:IDN+vnsnap:test+user+alice", "keys", new Object[] {"ssh-ed25519 AAAA alice@x"})})));
        for (Map<String, Object> x : slivers(p)) {
            assertEquals("geni_provisioned", x.get("geni_allocation_status"));
            assertEquals("geni_ready", x.get("geni_operational_status"));
            assertEquals("2027-06-08T00:00:00+00:00", x.get("geni_expires"), "7-day lease, the credential lasts 30 days");
        }
        assertEquals(1, h.h1.states.size());
        assertEquals(1, h.h2.states.size());
        VmRequest vm1 = h.h1.requests.values().iterator().next();
        assertEquals(128, vm1.memoryMiB());
        assertEquals("debian", vm1.image());
        assertEquals("10.10.1.1/24", vm1.nics().get(0).ip());
        assertEquals(Guest.mac(demo, "vm1:if0"), vm1.nics().get(0).mac());
        assertEquals(List.of("alice"), vm1.users().stream().map(GuestUser::login).toList(), "the user's login; a key too short to be one is left out");
        assertFalse(vm1.guestConfig().containsKey("users"), "keys travel in the request's users, not on the kernel command line");
        assertEquals(4096, h.h1.segments.values().iterator().next().vni());
        assertEquals(h.h1.segments.values().iterator().next().vni(), h.h2.segments.values().iterator().next().vni());
        assertEquals(List.of(demo + "|lan0 -> h2.example.net:4789"), List.copyOf(h.h1.tunnels));
        assertEquals(List.of(demo + "|lan0 -> h1.example.net:4789"), List.copyOf(h.h2.tunnels));
        String pm = (String) p.get("geni_rspec");
        assertTrue(pm.contains("mac_address=\"" + Guest.mac(demo, "vm1:if0") + "\""), pm);
    }

    @Test
    void unboundNodesGoToTheLeastLoadedHosts() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(false), options()));
        SliceRecord r = h.store.get(demo).orElseThrow();
        assertEquals(List.of("h1", "h2"), r.slivers().stream().map(Sliver::host).toList());
        for (Sliver s : r.slivers()) {
            assertTrue(Guest.VM_NAME.matcher(s.vmName()).matches(), s.vmName());
        }
    }

    @Test
    void statusDescribeStopStartRenewDelete() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        Object[] urns = {demo};
        ok(h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), "geni_stop", options()));
        assertTrue(h.h1.states.values().stream().allMatch(x -> x == VmState.PAUSED));
        Map<String, Object> st = value(h.v3(fx.alice, "Status", urns, creds(demoCred), options()));
        assertEquals(demo, st.get("geni_urn"));
        assertTrue(slivers(st).stream().allMatch(x -> x.get("geni_operational_status").equals("geni_notready")));
        ok(h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), "geni_start", options()));
        assertTrue(h.h2.states.values().stream().allMatch(x -> x == VmState.RUNNING));

        // A VM that vanished from its host is failed, with a reason.
        h.h2.states.clear();
        Map<String, Object> d = value(h.v3(fx.alice, "Describe", urns, creds(demoCred), options("geni_rspec_version", GENI3)));
        assertTrue(((String) d.get("geni_rspec")).contains("type=\"manifest\""));
        Map<String, Object> failed = slivers(d).stream().filter(x -> x.get("geni_operational_status").equals("geni_failed"))
                .findFirst().orElseThrow();
        assertTrue(((String) failed.get("geni_error")).contains("gone from host h2"), failed.toString());
        // ... and geni_restart recreates it.
        ok(h.v3(fx.alice, "PerformOperationalAction", new Object[] {failed.get("geni_sliver_urn")}, creds(demoCred),
                "geni_restart", options()));
        assertEquals(1, h.h2.states.size());

        // An unreachable host keeps the last state and says why.
        h.h1.fail("vm", HostException.Reason.UNREACHABLE);
        Map<String, Object> st2 = value(h.v3(fx.alice, "Status", urns, creds(demoCred), options()));
        assertTrue(slivers(st2).stream().anyMatch(x -> x.get("geni_operational_status").equals("geni_ready")
                && ((String) x.get("geni_error")).contains("UNREACHABLE")), st2.toString());
        h.h1.heal();

        // Renew beyond the 7-day limit: refused without alap, clamped with it.
        String far = "2027-07-01T00:00:00Z";
        String before = h.state();
        assertEquals(GeniCode.OUTOFRANGE.wire(), code(h.v3(fx.alice, "Renew", urns, creds(demoCred), far, options())));
        assertEquals(before, h.state());
        List<Map<String, Object>> renewed = slivers(h.v3(fx.alice, "Renew", urns, creds(demoCred), far,
                options("geni_extend_alap", true)).get("value"));
        assertEquals("2027-06-08T00:00:00+00:00", renewed.get(0).get("geni_expires"));
        // Clamped to a shorter credential: a 2-day credential of the same slice.
        String shortCred = fx.cred("alice", "demo", Duration.ofDays(2));
        List<Map<String, Object>> clamped = slivers(h.v3(fx.alice, "Renew", urns, creds(shortCred), far,
                options("geni_extend_alap", true)).get("value"));
        assertEquals("2027-06-03T00:00:00+00:00", clamped.get(0).get("geni_expires"));

        List<Map<String, Object>> del = slivers(h.v3(fx.alice, "Delete", urns, creds(demoCred), options()).get("value"));
        assertTrue(del.stream().allMatch(x -> x.get("geni_allocation_status").equals("geni_unallocated")));
        assertTrue(h.store.all().isEmpty());
        assertTrue(h.h1.states.isEmpty() && h.h2.states.isEmpty());
        assertTrue(h.h1.segments.isEmpty() && h.h2.segments.isEmpty() && h.h1.tunnels.isEmpty());
        // Deleted slices may be allocated again.
        value(allocate(h, AmFixture.twoNodes(true), options()));
    }

    @Test
    void refusalsCarryTheirCodeAndChangeNothing() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        String before = h.state();
        String otherCred = fx.cred("other");
        String expired = fx.cred("alice", "demo", Duration.ofMinutes(1));
        Object[] urns = {demo};
        // A credential for another slice.
        assertEquals(22, code(h.v3(fx.alice, "Provision", urns, creds(otherCred), options("geni_rspec_version", GENI3))));
        // Bob holds alice's credential.
        assertEquals(22, code(h.v3(fx.bob, "Delete", urns, creds(demoCred), options())));
        // Malformed and unknown-type credentials.
        assertEquals(20, code(h.v3(fx.alice, "Delete", urns, creds("<signed-credential><oops"), options())));
        assertEquals(20, code(h.v3(fx.alice, "Delete", urns, new Object[] {Map.of("geni_type", "geni_weird", "geni_version", "1",
                "geni_value", demoCred)}, options())));
        // Missing geni_rspec_version.
        assertEquals(1, code(h.v3(fx.alice, "Provision", urns, creds(demoCred), options())));
        // Second Allocate.
        Map<String, Object> again = allocate(h, AmFixture.twoNodes(true), options());
        assertEquals(17, code(again));
        // Unknown action.
        Map<String, Object> poa = h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), "vnsnap_fly", options());
        assertEquals(13, code(poa));
        assertEquals("Unsupported: action vnsnap_fly is not supported", poa.get("output"));
        // Bad slice URN.
        assertEquals(1, code(h.v3(fx.alice, "Allocate", "urn:publicid:IDN+vnsnap:test+slice+bad_name!", creds(demoCred),
                AmFixture.twoNodes(true), options())));
        assertEquals(before, h.state());

        // Expired credential (the clock passes its expiry).
        h.clock.advance(Duration.ofMinutes(2));
        assertEquals(21, code(h.v3(fx.alice, "Delete", urns, creds(expired), options())));
        assertEquals(before, h.state());
    }

    @Test
    void badRequestsAreBadargsWithPositions() throws Exception {
        var h = harness();
        String before = h.state();
        Map<String, Object> malformed = allocate(h, "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n"
                + "  <node client_id=\"a\">\n</rspec>", options());
        assertEquals(1, code(malformed));
        assertTrue(((String) malformed.get("output")).startsWith("line 3"), malformed.toString());
        Map<String, Object> semantic = allocate(h, "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n"
                + AmFixture.node("vm1", null, "10.10.1.1")
                + "  <link client_id=\"l\"><interface_ref client_id=\"vm1:if0\"/><interface_ref client_id=\"vm9:if0\"/></link>\n"
                + "</rspec>", options());
        assertEquals(1, code(semantic));
        assertTrue(((String) semantic.get("output")).contains("vm9:if0"), semantic.toString());
        Map<String, Object> elsewhere = allocate(h, AmFixture.twoNodes(true).replace("+node+h2", "+node+h9"), options());
        assertEquals(1, code(elsewhere));
        assertTrue(((String) elsewhere.get("output")).contains("not a host of this aggregate"), elsewhere.toString());
        assertEquals(before, h.state());
    }

    @Test
    void noRoomIsRefused() throws Exception {
        var h = harness();
        String before = h.state();
        Map<String, Object> r = allocate(h, AmFixture.vms(5), options());
        assertEquals(7, code(r));
        assertTrue(((String) r.get("output")).contains("no room"), r.toString());
        assertEquals(before, h.state());
        // Four fit; allocated but unprovisioned slivers count against the room.
        value(allocate(h, AmFixture.vms(4), options()));
        String other = fx.sliceUrn("other");
        Map<String, Object> r2 = h.v3(fx.alice, "Allocate", other, creds(fx.cred("other")), AmFixture.vms(1), options());
        assertEquals(7, code(r2));
    }

    @Test
    void aHostFailureRollsBackUnlessBestEffort() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        String before = h.state();
        h.h2.fail("createVm", HostException.Reason.INSUFFICIENT_STORAGE);
        Map<String, Object> r = provision(h, options());
        assertEquals(7, code(r), r.toString());
        assertTrue(((String) r.get("output")).contains("host h2"), r.toString());
        assertEquals(before, h.state(), "the VM on h1 and both segments are gone again");
        assertTrue(h.h1.log.contains("destroyVm " + h.store.get(demo).orElseThrow().slivers().get(0).vmName()), h.h1.log.toString());

        h.h2.fail("createVm", HostException.Reason.UNREACHABLE);
        assertEquals(11, code(provision(h, options())));
        Map<String, Object> p = value(provision(h, options("geni_best_effort", true)));
        List<Map<String, Object>> s = slivers(p);
        assertEquals("geni_provisioned", s.get(0).get("geni_allocation_status"));
        assertEquals("geni_allocated", s.get(1).get("geni_allocation_status"));
        assertEquals("geni_failed", s.get(1).get("geni_operational_status"));
        assertTrue(((String) s.get(1).get("geni_error")).contains("UNREACHABLE"), s.toString());
        assertEquals(1, h.h1.states.size());
        // Healed, a second Provision finishes the job.
        h.h2.heal();
        Map<String, Object> p2 = value(provision(h, options()));
        assertTrue(slivers(p2).stream().allMatch(x -> x.get("geni_allocation_status").equals("geni_provisioned")));
        assertEquals(1, h.h2.states.size());
    }

    @Test
    void listResourcesAdvertisesReachableHostsAndPluginActions() throws Exception {
        var h = fx.new Harness(new InMemorySliceStore(), List.of(new BusyPlugin()));
        h.h2.fail("info", HostException.Reason.UNREACHABLE);
        Map<String, Object> r = h.v3(fx.alice, "ListResources", new Object[0], options("geni_rspec_version", GENI3));
        assertEquals(0, code(r), r.toString());
        String ad = (String) r.get("value");
        assertTrue(ad.contains("component_id=\"urn:publicid:IDN+vnsnap:test+node+h1\""), ad);
        assertFalse(ad.contains("+node+h2"), ad);
        assertTrue(ad.contains("name=\"test_busy\""), ad);
        assertTrue(ad.contains("name=\"geni_start\""), ad);
        assertEquals(1, new net.vnsnap.rspec.io.RSpecReader().read(ad).nodes().size());
        // Login is announced: every VM gets SSH access with the slice users' keys.
        assertEquals(List.of("ssh-keys"), new net.vnsnap.rspec.io.RSpecReader().read(ad).nodes().get(0).services().orElseThrow()
                .logins().stream().map(net.vnsnap.rspec.model.Login::authentication).toList());
        Pg2Schemas.check(ad, "ad.xsd");
        // geni_available leaves out full hosts.
        h.h2.heal();
        value(allocate(h, AmFixture.vms(2).replace("exclusive=\"false\"",
                "exclusive=\"false\" component_id=\"urn:publicid:IDN+vnsnap:test+node+h1\""), options()));
        String avail = (String) h.v3(fx.alice, "ListResources", new Object[0], options("geni_rspec_version", GENI3,
                "geni_available", true)).get("value");
        assertFalse(avail.contains("+node+h1\""), avail);
        assertTrue(avail.contains("+node+h2\""), avail);
    }

    @Test
    void pluginsPerformTheirActionsAndSetStates() throws Exception {
        var h = fx.new Harness(new InMemorySliceStore(), List.of(new BusyPlugin()));
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        Map<String, Object> r = h.v3(fx.alice, "PerformOperationalAction", new Object[] {demo}, creds(demoCred), "test_busy", options());
        assertEquals(0, code(r), r.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) r.get("value");
        assertEquals("job-1", v.get("test_job"));
        assertTrue(slivers(v).stream().allMatch(x -> x.get("geni_operational_status").equals("geni_ready_busy")));
        // Status keeps the plugin's state while the VM runs, and carries the plugin's extras.
        Map<String, Object> st = value(h.v3(fx.alice, "Status", new Object[] {demo}, creds(demoCred), options()));
        assertTrue(slivers(st).stream().allMatch(x -> x.get("geni_operational_status").equals("geni_ready_busy")
                && "yes".equals(x.get("test_extra"))), st.toString());
        h.v3(fx.alice, "Delete", new Object[] {demo}, creds(demoCred), options());
        assertEquals(1, BusyPlugin.deleted);
    }

    @Test
    void expiredSliversAreReaped() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        h.clock.advance(Duration.ofMinutes(11));
        assertEquals(2, h.am.reapExpired());
        assertTrue(h.store.all().isEmpty());

        h.clock.set(AmFixture.T0);
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options("geni_end_time", "2027-06-01T01:00:00Z")));
        h.clock.advance(Duration.ofMinutes(30));
        assertEquals(0, h.am.reapExpired());
        assertEquals(1, h.h1.states.size());
        h.clock.advance(Duration.ofMinutes(31));
        assertEquals(2, h.am.reapExpired());
        assertTrue(h.store.all().isEmpty());
        assertTrue(h.h1.states.isEmpty() && h.h2.states.isEmpty() && h.h1.segments.isEmpty() && h.h2.segments.isEmpty());
    }

    @Test
    void theScheduledReaperRunsOnTheInjectedExecutor() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        h.clock.advance(Duration.ofMinutes(11));
        var exec = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            var job = h.am.scheduleReaper(exec, Duration.ofMillis(20));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!h.store.all().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            job.cancel(false);
            assertTrue(h.store.all().isEmpty());
        } finally {
            exec.shutdownNow();
        }
    }

    @Test
    void aFailedRestartLeavesTheSliverFailed() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        String s1 = h.store.get(demo).orElseThrow().slivers().get(0).urn();
        h.h1.fail("createVm", HostException.Reason.INTERNAL);
        Map<String, Object> r = h.v3(fx.alice, "PerformOperationalAction", new Object[] {s1}, creds(demoCred), "geni_restart",
                options());
        assertEquals(2, code(r));
        Sliver after = h.store.get(demo).orElseThrow().slivers().get(0);
        assertEquals(OperationalState.FAILED, after.operational());
        assertTrue(after.error().contains("host h1"), after.error());
        h.h1.heal();
        ok(h.v3(fx.alice, "PerformOperationalAction", new Object[] {s1}, creds(demoCred), "geni_restart", options()));
        assertEquals(OperationalState.READY, h.store.get(demo).orElseThrow().slivers().get(0).operational());
    }

    @Test
    void startingOrStoppingACrashedVmIsRefusedAndChangesNothing() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        Object[] urns = {demo};
        ok(h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), "geni_stop", options()));
        String crashed = h.h2.states.keySet().iterator().next();
        h.h2.states.put(crashed, VmState.CRASHED);
        String before = h.state();
        for (String action : List.of("geni_start", "geni_stop")) {
            Map<String, Object> r = h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), action, options());
            assertEquals(GeniCode.BADARGS.wire(), code(r), r::toString);
            assertTrue(((String) r.get("output")).contains(crashed + " (") && ((String) r.get("output")).contains("is crashed")
                    && ((String) r.get("output")).contains("geni_restart"), r.toString());
            assertEquals(before, h.state());
            assertTrue(h.h1.states.values().stream().allMatch(x -> x == VmState.PAUSED), h.h1.states.toString());
        }
        // Best effort starts the other VM and reports the crashed one as failed, with the reason.
        List<Map<String, Object>> answer = slivers(ok(h.v3(fx.alice, "PerformOperationalAction", urns, creds(demoCred), "geni_start",
                options("geni_best_effort", true))));
        assertTrue(h.h1.states.values().stream().allMatch(x -> x == VmState.RUNNING), h.h1.states.toString());
        assertEquals(List.of("geni_failed", "geni_ready"), answer.stream().map(x -> (String) x.get("geni_operational_status")).sorted().toList());
        assertTrue(answer.stream().anyMatch(x -> ((String) x.get("geni_error")).contains("is crashed")), answer.toString());
        assertEquals(VmState.CRASHED, h.h2.states.get(crashed));
    }

    @Test
    void aRestartedAmServesTheSameSlices() throws Exception {
        Path db = dir.resolve("restart.db");
        var h = fx.new Harness(SqliteSliceStore.open(db), List.of());
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        h.store.close();
        // A new AM over the reopened file and the same hosts.
        var store = SqliteSliceStore.open(db);
        var am = new AggregateManager(h.clock, fx.authorizer(h.clock), store, HostRegistry.of(FakeHost.registry(h.h1, h.h2)),
                AmPolicy.defaults(AmFixture.AM_URN, "busybox"), List.of(), IdGenerator.counting("t"), "https://am.test/", null);
        var v3 = new net.vnsnap.am.api.v3.AmV3Endpoint(am);
        @SuppressWarnings("unchecked")
        Map<String, Object> st = (Map<String, Object>) v3.call(fx.alice, "Status", List.of(new Object[] {demo}, creds(demoCred), options()));
        List<Map<String, Object>> s = slivers(value(st));
        assertEquals(2, s.size());
        assertTrue(s.stream().allMatch(x -> x.get("geni_operational_status").equals("geni_ready")), s.toString());
        assertEquals("4096", store.get(demo).orElseThrow().attributes().get("vni.lan0"));
        store.close();
    }

    @Test
    void shutdownPausesAndRefusesFurtherChanges() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        value(provision(h, options()));
        assertEquals(0, code(h.v3(fx.alice, "Shutdown", demo, creds(demoCred), options())));
        assertTrue(h.h1.states.values().stream().allMatch(x -> x == VmState.PAUSED));
        Map<String, Object> r = h.v3(fx.alice, "PerformOperationalAction", new Object[] {demo}, creds(demoCred), "geni_start", options());
        assertEquals(7, code(r));
        assertTrue(((String) r.get("output")).contains("shut down"), r.toString());
    }

    @Test
    void concurrentAllocatesOfOneSliceLeaveExactlyOne() throws Exception {
        var h = harness();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<Integer>> codes = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                codes.add(pool.submit(() -> code(allocate(h, AmFixture.vms(1), options()))));
            }
            List<Integer> got = new java.util.ArrayList<>();
            for (var f : codes) {
                got.add(f.get());
            }
            got.sort(null);
            assertEquals(List.of(0, 17, 17, 17, 17, 17), got);
            assertEquals(1, h.store.get(demo).orElseThrow().slivers().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void provisioningAnExpiredAllocationIsRefusedAndUsersAreUpdated() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        h.clock.advance(Duration.ofMinutes(10));
        String before = h.state();
        assertEquals(15, code(provision(h, options())));
        assertEquals(before, h.state());
        h.clock.set(AmFixture.T0);
        value(provision(h, options()));
        ok(h.v3(fx.alice, "PerformOperationalAction", new Object[] {demo}, creds(demoCred), "geni_update_users",
                options("geni_users", new Object[] {Map.of("urn", "urn:publicid:IDN+vnsnap:test+user+bob", "keys",
                        new Object[] {"ssh-rsa BBBB \"bob\""})})));
        assertEquals("[{\"urn\":\"urn:publicid:IDN+vnsnap:test+user+bob\",\"keys\":[\"ssh-rsa BBBB \\\"bob\\\"\"]}]",
                h.store.get(demo).orElseThrow().attributes().get("users"));
        assertEquals(1, code(h.v3(fx.alice, "PerformOperationalAction", new Object[] {demo}, creds(demoCred), "geni_update_users",
                options())));
    }

    @Test
    void sliversCanBeProvisionedOneByOneAndUrnsAreChecked() throws Exception {
        var h = harness();
        value(allocate(h, AmFixture.twoNodes(true), options()));
        List<Sliver> slivers = h.store.get(demo).orElseThrow().slivers();
        String s1 = slivers.get(0).urn();
        String s2 = slivers.get(1).urn();
        Map<String, Object> o = options("geni_rspec_version", GENI3);
        List<Map<String, Object>> p1 = slivers(value(h.v3(fx.alice, "Provision", new Object[] {s1}, creds(demoCred), o)));
        assertEquals(List.of(s1), p1.stream().map(x -> x.get("geni_sliver_urn")).toList());
        assertEquals(1, h.h1.states.size());
        assertTrue(h.h2.segments.isEmpty() && h.h1.tunnels.isEmpty(), "no tunnel to a host without the link's VMs yet");
        value(h.v3(fx.alice, "Provision", new Object[] {s2}, creds(demoCred), o));
        assertEquals(1, h.h2.states.size());
        assertEquals(1, h.h1.tunnels.size());
        assertEquals(1, h.h2.tunnels.size());

        // Sliver URNs of two slices, an unknown sliver, a sliver URN next to a slice URN.
        String otherCred = fx.cred("other");
        value(h.v3(fx.alice, "Allocate", fx.sliceUrn("other"), creds(otherCred), AmFixture.vms(1), options()));
        String o1 = h.store.get(fx.sliceUrn("other")).orElseThrow().slivers().get(0).urn();
        assertEquals(1, code(h.v3(fx.alice, "Status", new Object[] {s1, o1}, creds(demoCred), options())));
        assertEquals(12, code(h.v3(fx.alice, "Status", new Object[] {"urn:publicid:IDN+vnsnap:test+sliver+nope"}, creds(demoCred),
                options())));
        assertEquals(1, code(h.v3(fx.alice, "Status", new Object[] {demo, s1}, creds(demoCred), options())));
        // Deleting one sliver keeps the other and the slice.
        List<Map<String, Object>> d = slivers(h.v3(fx.alice, "Delete", new Object[] {s2}, creds(demoCred), options()).get("value"));
        assertEquals("geni_unallocated", d.get(0).get("geni_allocation_status"));
        assertEquals(1, h.store.get(demo).orElseThrow().slivers().size());
        assertTrue(h.h2.states.isEmpty() && h.h2.segments.isEmpty());
        assertEquals(1, h.h1.states.size());
    }

    @Test
    void guestDerivationsAreStableAndValid() {
        assertEquals(Guest.mac(demo, "vm1:if0"), Guest.mac(demo, "vm1:if0"));
        assertTrue(!Guest.mac(demo, "vm1:if0").equals(Guest.mac(demo, "vm2:if0")));
        assertEquals("10.0.0.1/24", Guest.withPrefix("10.0.0.1", "255.255.255.0"));
        assertEquals("10.0.0.1/16", Guest.withPrefix("10.0.0.1", "16"));
        assertEquals("10.0.0.1", Guest.withPrefix("10.0.0.1", null));
        String long63 = Guest.vmName("a-very-long-slice-name", "x".repeat(80) + ":weird/id", "0123456789abcdef-0123-4567");
        assertTrue(Guest.VM_NAME.matcher(long63).matches(), long63);
        assertTrue(Guest.VM_NAME.matcher(Guest.vmName("s", "_node", "id")).matches());
    }

    /** A plugin with one action that marks slivers busy, status extras and a delete hook. */
    static final class BusyPlugin implements AmPlugin {
        static volatile int deleted;

        @Override
        public String name() {
            return "busy";
        }

        @Override
        public List<PluginAction> actions() {
            return List.of(new PluginAction("test_busy", "geni_ready", "geni_ready_busy", "Keep the VMs busy."));
        }

        @Override
        public Optional<ActionResult> perform(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, String action,
                Options options) throws net.vnsnap.certs.GeniException {
            if (!action.equals("test_busy")) {
                return Optional.empty();
            }
            SliceRecord r = ctx.setOperational(slivers.stream().map(Sliver::urn).toList(), OperationalState.READY_BUSY, "");
            return Optional.of(new ActionResult(r.slivers().stream().map(ctx::status).toList(), Map.of("test_job", "job-1")));
        }

        @Override
        public Map<String, Object> sliverStatusExtras(SliceRecord slice, Sliver sliver) {
            return Map.of("test_extra", "yes");
        }

        @Override
        public void onDelete(SliceRecord slice) {
            deleted++;
        }
    }
}
