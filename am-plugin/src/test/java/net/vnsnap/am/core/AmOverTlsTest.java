package net.vnsnap.am.core;

import static net.vnsnap.am.core.AmFixture.GENI3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.opstate.OpState;
import net.vnsnap.rspec.snapshot.SnapshotCapability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole AM API v3 life cycle, and v2's CreateSliver/SliverStatus/DeleteSliver, over real mutual TLS. */
class AmOverTlsTest {

    @TempDir
    static Path dir;
    static AmFixture fx;
    static AmFixture.Harness h;
    static SecureXmlRpcServer server;
    static SecureXmlRpcClient client;
    static SecureXmlRpcClient client2;

    @BeforeAll
    static void start() throws Exception {
        fx = new AmFixture(dir);
        h = fx.new Harness();
        var amId = fx.fed.issueServer("am", List.of("localhost"), Duration.ofDays(3650));
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fx.fed.trustRootsDirectory(), h.clock), h.clock, true);
        server = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0), TlsContexts.create(amId, v),
                SecureXmlRpcServer.Limits.DEFAULT);
        server.serve("/", h.v3).serve("/am/2.0", h.v2).start();
        SSLContext alice = TlsContexts.create(fx.aliceId, v);
        URI url = URI.create("https://localhost:" + server.port() + "/");
        client = new SecureXmlRpcClient(url, alice, 20_000);
        client2 = new SecureXmlRpcClient(url.resolve("/am/2.0"), alice, 20_000);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @SuppressWarnings("unchecked")
    static Object ok(Object r) {
        Map<String, Object> m = (Map<String, Object>) r;
        assertEquals(0, ((Map<String, Object>) m.get("code")).get("geni_code"), () -> "expected success, got " + m);
        assertEquals("", m.get("output"));
        return m.get("value");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> slivers(Object v) {
        Object s = v instanceof Map<?, ?> m ? m.get("geni_slivers") : v;
        return List.of((Object[]) s).stream().map(o -> (Map<String, Object>) o).toList();
    }

    static Map<String, Object> opts(Object... kv) {
        return AmFixture.options(kv);
    }

    @Test
    @SuppressWarnings("unchecked")
    void v3LifeCycle() throws Exception {
        String slice = fx.sliceUrn("tls");
        Object[] creds = AmFixture.creds(fx.cred("tls"));
        Object[] urns = {slice};

        Map<String, Object> version = (Map<String, Object>) ok(client.call("GetVersion"));
        assertEquals(3, version.get("geni_api"));

        String adXml = (String) ok(client.call("ListResources", creds, opts("geni_rspec_version", GENI3)));
        RSpec ad = new RSpecReader().read(adXml);
        assertEquals(RSpecType.ADVERTISEMENT, ad.type());
        assertEquals(List.of("urn:publicid:IDN+vnsnap:test+node+h1", "urn:publicid:IDN+vnsnap:test+node+h2"),
                ad.nodes().stream().map(Node::componentId).toList());
        for (Node n : ad.nodes()) {
            assertEquals(AmFixture.AM_URN, n.componentManagerId());
            assertEquals("xen", SnapshotCapability.read(n).orElseThrow().hypervisor());
        }
        assertEquals(AmFixture.AM_URN, OpState.read(ad).get(0).aggregateManagerId());
        Pg2Schemas.check(adXml, "ad.xsd");

        Map<String, Object> alloc = (Map<String, Object>) ok(client.call("Allocate", slice, creds, AmFixture.twoNodes(true), opts()));
        assertEquals(RSpecType.MANIFEST, new RSpecReader().read((String) alloc.get("geni_rspec")).type());
        assertTrue(slivers(alloc).stream().allMatch(s -> s.get("geni_allocation_status").equals("geni_allocated")
                && s.get("geni_operational_status").equals("geni_pending_allocation")));

        Map<String, Object> prov = (Map<String, Object>) ok(client.call("Provision", urns, creds, opts("geni_rspec_version", GENI3)));
        assertTrue(slivers(prov).stream().allMatch(s -> s.get("geni_allocation_status").equals("geni_provisioned")));
        assertEquals(1, h.h1.segments.size());
        assertEquals(1, h.h2.segments.size());
        assertEquals(1, h.h1.tunnels.size());
        assertEquals(1, h.h2.tunnels.size());
        String mac = h.h2.requests.values().iterator().next().nics().get(0).mac();
        assertTrue(mac.matches("02(:[0-9a-f]{2}){5}"), mac);
        assertEquals("10.10.1.2/24", h.h2.requests.values().iterator().next().nics().get(0).ip());

        Map<String, Object> status = (Map<String, Object>) ok(client.call("Status", urns, creds, opts()));
        assertTrue(slivers(status).stream().allMatch(s -> s.get("geni_operational_status").equals("geni_ready")));
        Map<String, Object> desc = (Map<String, Object>) ok(client.call("Describe", urns, creds,
                opts("geni_rspec_version", GENI3, "geni_compressed", false)));
        assertTrue(((String) desc.get("geni_rspec")).contains("sliver_id="));
        assertEquals(slice, desc.get("geni_urn"));
        Pg2Schemas.check((String) desc.get("geni_rspec"), "manifest.xsd");

        List<Map<String, Object>> stopped = slivers(ok(client.call("PerformOperationalAction", urns, creds, "geni_stop", opts())));
        assertTrue(stopped.stream().allMatch(s -> s.get("geni_operational_status").equals("geni_notready")));
        assertTrue(h.h1.states.values().stream().allMatch(s -> s == VmState.PAUSED));
        List<Map<String, Object>> started = slivers(ok(client.call("PerformOperationalAction", urns, creds, "geni_start", opts())));
        assertTrue(started.stream().allMatch(s -> s.get("geni_operational_status").equals("geni_ready")));

        List<Map<String, Object>> renewed = slivers(ok(client.call("Renew", urns, creds, "2028-01-01T00:00:00Z",
                opts("geni_extend_alap", true))));
        assertTrue(renewed.stream().allMatch(s -> s.get("geni_expires").equals("2027-06-08T00:00:00+00:00")), renewed.toString());

        List<Map<String, Object>> deleted = slivers(ok(client.call("Delete", urns, creds, opts())));
        assertTrue(deleted.stream().allMatch(s -> s.get("geni_allocation_status").equals("geni_unallocated")));
        assertTrue(h.h1.states.isEmpty() && h.h2.states.isEmpty() && h.h1.segments.isEmpty() && h.h2.segments.isEmpty());
    }

    @Test
    @SuppressWarnings("unchecked")
    void v2LifeCycle() throws Exception {
        String slice = fx.sliceUrn("tls2");
        Object[] creds = {fx.cred("tls2")};
        String manifest = (String) ok(client2.call("CreateSliver", slice, creds, AmFixture.twoNodes(false),
                new Object[] {Map.of("urn", "urn:publicid:IDN+vnsnap:test+user+alice", "keys", new Object[] {"ssh-rsa AAAA a"})},
                opts()));
        assertTrue(manifest.contains("type=\"manifest\""), manifest);
        Map<String, Object> st = (Map<String, Object>) ok(client2.call("SliverStatus", slice, creds, opts()));
        assertEquals("ready", st.get("geni_status"));
        assertEquals(2, ((Object[]) st.get("geni_resources")).length);
        assertEquals(2, h.h1.states.size() + h.h2.states.size());
        assertEquals(Boolean.TRUE, ok(client2.call("DeleteSliver", slice, creds, opts())));
        assertTrue(h.h1.states.isEmpty() && h.h2.states.isEmpty());
        assertTrue(h.store.get(slice).isEmpty());
    }
}
