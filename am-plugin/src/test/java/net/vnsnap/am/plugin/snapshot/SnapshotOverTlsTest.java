package net.vnsnap.am.plugin.snapshot;

import static net.vnsnap.am.plugin.snapshot.SnapshotAm.slivers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import net.vnsnap.am.core.AmFixture;
import net.vnsnap.am.core.Pg2Schemas;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.am.testkit.Gate;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import net.vnsnap.rspec.snapshot.SnapshotState;
import net.vnsnap.rspec.snapshot.VmSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An experimenter's session over mutual TLS, with the SQLite catalog: snapshot with Omni's options file, poll Status,
 * Describe, restore, delete.
 */
class SnapshotOverTlsTest {

    @TempDir
    Path dir;
    AmFixture fx;
    SnapshotAm am;
    SecureXmlRpcServer server;
    SecureXmlRpcClient client;

    @BeforeEach
    void start() throws Exception {
        fx = new AmFixture(dir);
        am = new SnapshotAm(fx, dir);
        var amId = fx.fed.issueServer("am", List.of("localhost"), Duration.ofDays(3650));
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fx.fed.trustRootsDirectory(), am.clock), am.clock, true);
        server = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0), TlsContexts.create(amId, v),
                SecureXmlRpcServer.Limits.DEFAULT);
        server.serve("/", am.v3).start();
        SSLContext alice = TlsContexts.create(fx.aliceId, v);
        client = new SecureXmlRpcClient(URI.create("https://localhost:" + server.port() + "/"), alice, 20_000);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        am.close();
    }

    @SuppressWarnings("unchecked")
    Object ok(Object r) {
        return SnapshotAm.ok((Map<String, Object>) r);
    }

    Object[] urns() throws Exception {
        return new Object[] {fx.sliceUrn("exp")};
    }

    List<Map<String, Object>> status() throws Exception {
        return slivers(ok(client.call("Status", urns(), am.creds("exp"), Map.of())));
    }

    /** The manifest, checked against the PG v2 manifest schema with the snapshot extension's. */
    RSpec describe() throws Exception {
        Map<?, ?> d = (Map<?, ?>) ok(client.call("Describe", urns(), am.creds("exp"), Map.of("geni_rspec_version", AmFixture.GENI3)));
        Pg2Schemas.check((String) d.get("geni_rspec"), "manifest.xsd");
        return new RSpecReader().read((String) d.get("geni_rspec"));
    }

    Map<?, ?> poa(String action, Map<String, Object> options) throws Exception {
        return (Map<?, ?>) ok(client.call("PerformOperationalAction", urns(), am.creds("exp"), action, options));
    }

    List<Map<String, Object>> pollUntilReady() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<Map<String, Object>> s = status();
        while (!s.stream().allMatch(x -> "geni_ready".equals(x.get("geni_operational_status"))) && System.nanoTime() < end) {
            Thread.sleep(10);
            s = status();
        }
        return s;
    }

    static Set<Object> states(List<Map<String, Object>> slivers) {
        return slivers.stream().map(s -> s.get("geni_operational_status")).collect(Collectors.toSet());
    }

    @Test
    void snapshotPollDescribeRestoreDelete() throws Exception {
        String snap = "<snap:snapshot mode=\"live\" include_disk=\"false\"/>";
        String slice = fx.sliceUrn("exp");
        ok(client.call("Allocate", slice, am.creds("exp"), SnapshotAm.request(snap, snap), Map.of()));
        ok(client.call("Provision", urns(), am.creds("exp"), Map.of("geni_rspec_version", AmFixture.GENI3)));

        // omni -V3 -a URL --optionsfile snap.json poa exp vnsnap_snapshot
        Map<String, Object> options = SnapshotAm.omniOptions("""
                {
                  "vnsnap_mode": "cow",
                  "vnsnap_label": "before upgrade",
                  "vnsnap_include_disk": true
                }""");
        Gate take = am.h2.gateBefore(Op.TAKE);
        Map<?, ?> started = poa(SnapshotPlugin.SNAPSHOT, options);
        String id = (String) started.get("vnsnap_snapshot_id");
        assertNotNull(id, started::toString);
        assertEquals(Set.of("geni_ready_busy"), states(slivers(started)));

        take.awaitArrival();
        List<Map<String, Object>> busy = status();
        assertEquals(Set.of("geni_ready_busy"), states(busy));
        for (Map<String, Object> s : busy) {
            assertEquals(id, s.get("vnsnap_snapshot_id"));
            int pct = (Integer) s.get("vnsnap_progress_percent");
            assertTrue(pct >= 0 && pct < 100, "progress " + pct);
            assertTrue(Set.of("preparing", "taking").contains(s.get("vnsnap_snapshot_state")), s::toString);
        }
        take.release();
        List<Map<String, Object>> ready = pollUntilReady();
        assertEquals(Set.of("geni_ready"), states(ready));
        assertTrue(ready.stream().allMatch(s -> "succeeded".equals(s.get("vnsnap_last_outcome")) && !s.containsKey("vnsnap_progress_percent")));

        RSpec m = describe();
        SnapshotRecord rec = SliceSnapshots.read(m).orElseThrow().records().get(0);
        assertEquals(id, rec.id());
        assertEquals("before upgrade", rec.label());
        assertEquals(SnapshotState.COMPLETE, rec.state());
        assertEquals(SnapshotMode.COW, rec.mode());
        assertTrue(rec.sizeBytes() > 0);
        assertEquals(List.of("vm1", "vm2"), rec.vms().stream().map(VmSnapshot::clientId).toList());
        for (VmSnapshot v : rec.vms()) {
            assertEquals(m.node(v.clientId()).orElseThrow().sliverId(), v.sliverId());
            assertNotNull(v.downtime());
            assertTrue(v.sizeBytes() > 0);
        }
        SnapshotSettings inForce = SnapshotSettings.read(m.node("vm2").orElseThrow()).orElseThrow();
        assertEquals(net.vnsnap.rspec.snapshot.SnapshotMode.LIVE, inForce.mode());
        assertFalse(inForce.includeDisk());
        assertEquals(SnapshotSettings.DEFAULT_RETAIN, inForce.retain());

        // The VMs are destroyed meanwhile; vnsnap_restore brings them back, resumed at one instant.
        am.h1.vms().forEach(v -> am.h1.destroyVm(v.name()));
        assertTrue(states(status()).contains("geni_failed"));
        Map<?, ?> restoring = poa(SnapshotPlugin.RESTORE, Map.of("vnsnap_snapshot_id", id));
        assertEquals(id, restoring.get("vnsnap_snapshot_id"));
        assertEquals(Set.of("geni_configuring"), states(slivers(restoring)));
        assertEquals(Set.of("geni_ready"), states(pollUntilReady()));
        assertEquals(1, am.h1.requestedResumes().size());
        assertEquals(am.h1.requestedResumes(), am.h2.requestedResumes());
        assertTrue(am.h1.vms().stream().allMatch(v -> v.state() == VmState.RUNNING && v.restoredFrom().equals(id)));
        assertTrue(am.h2.vms().stream().allMatch(v -> v.state() == VmState.RUNNING && v.restoredFrom().equals(id)));
        assertEquals(am.h1.restoreEpochs(), am.h2.restoreEpochs());

        Map<?, ?> deleting = poa(SnapshotPlugin.DELETE, Map.of("vnsnap_snapshot_id", id));
        assertEquals(Set.of("geni_ready_busy"), states(slivers(deleting)));
        assertEquals(Set.of("geni_ready"), states(pollUntilReady()));
        assertFalse(am.h1.snapshotFiles().contains(id) || am.h2.snapshotFiles().contains(id));
        assertEquals(List.of(), SliceSnapshots.read(describe()).orElseThrow().records());
        Map<?, ?> again = (Map<?, ?>) client.call("PerformOperationalAction", urns(), am.creds("exp"), SnapshotPlugin.RESTORE,
                Map.of("vnsnap_snapshot_id", id));
        assertEquals(12, ((Map<?, ?>) again.get("code")).get("geni_code"));
    }
}
