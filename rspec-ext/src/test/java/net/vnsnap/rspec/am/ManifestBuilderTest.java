package net.vnsnap.rspec.am;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.SchemaCheck;
import net.vnsnap.rspec.XmlCanon;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.io.RSpecWriter;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Ip;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import net.vnsnap.rspec.snapshot.SnapshotState;
import net.vnsnap.rspec.snapshot.VmSnapshot;
import net.vnsnap.rspec.validate.RequestChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestBuilderTest {
    static final String AM = "urn:publicid:IDN+vnsnap.example.net+authority+am";

    static String sliver(String id) {
        return "urn:publicid:IDN+vnsnap.example.net+sliver+" + id;
    }

    /** A manifest for every node and link of the request, as the AM would produce after Allocate. */
    static RSpec manifest(RSpec req) throws Exception {
        ManifestBuilder mb = ManifestBuilder.from(req, AM).generated(Instant.parse("2026-11-26T14:00:00Z"))
                .expires(Instant.parse("2026-11-27T14:00:00Z"));
        int k = 0;
        for (Node n : req.nodes()) {
            Map<String, InterfaceGrant> ifs = new java.util.HashMap<>();
            int j = 0;
            for (var i : n.interfaces()) {
                ifs.put(i.clientId(), new InterfaceGrant(sliver(n.clientId() + "-if" + j),
                        String.format("02:00:00:00:%02x:%02x", k, j), Ip.of("10.0." + k + "." + (j + 1), "255.255.255.0", "ipv4")));
                j++;
            }
            mb.node(n.clientId(), new NodeGrant(sliver(n.clientId()), "urn:publicid:IDN+vnsnap.example.net+node+host1",
                    n.clientId() + ".s1.vnsnap.example.net", List.of(Login.ssh("host1.vnsnap.example.net", 30000 + k, "alice")),
                    ifs, null));
            k++;
        }
        int v = 100;
        for (Link l : req.links()) {
            mb.link(l.clientId(), new LinkGrant(sliver(l.clientId()), Integer.toString(v++)));
        }
        mb.snapshots(new SliceSnapshots(List.of(new SnapshotRecord("snap-0001", "before upgrade",
                Instant.parse("2026-11-26T14:30:00Z"), SnapshotState.COMPLETE, SnapshotMode.LIVE, 3_221_225_472L,
                List.of(new VmSnapshot(req.nodes().get(0).clientId(), sliver(req.nodes().get(0).clientId()),
                        Duration.ofNanos(83_500_000), 1_610_612_736L))))));
        return mb.build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/requests/jfed-request.xml", "/requests/omni-request.xml"})
    void manifestValidatesAgainstPgV2AndOurSchema(String fixture) throws Exception {
        RSpec req = new RSpecReader().read(Fixtures.text(fixture));
        new RequestChecker().check(req);
        String xml = RSpecWriter.toString(manifest(req));
        SchemaCheck.pg2(xml, "manifest.xsd");
        assertTrue(SchemaCheck.snapshotElements(xml) >= req.nodes().size() + 1, "one per node plus the slice list");
        RSpec back = new RSpecReader().read(xml);
        assertEquals(xml, RSpecWriter.toString(back), "a generated manifest reads and writes back identically");
        assertEquals(RSpecType.MANIFEST, back.type());
        String loc = back.attr(Ns.XSI, "schemaLocation").orElseThrow();
        assertTrue(loc.contains(Ns.GENI + " " + Ns.GENI_MANIFEST_XSD), loc);
        assertTrue(loc.contains("http://vnsnap.net/rspec/ext/snapshot/1 http://vnsnap.net/rspec/ext/snapshot/1/snapshot.xsd"), loc);
    }

    @Test
    void manifestEchoesEveryExtensionOfTheRequest() throws Exception {
        RSpec req = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml"));
        RSpec man = new RSpecReader().read(RSpecWriter.toString(manifest(req)));
        for (Node rn : req.nodes()) {
            Node mn = man.node(rn.clientId()).orElseThrow();
            List<AnyElement> want = rn.extensions().stream().filter(e -> !e.ns().equals("http://vnsnap.net/rspec/ext/snapshot/1")).toList();
            List<AnyElement> got = mn.extensions().stream().filter(e -> !e.ns().equals("http://vnsnap.net/rspec/ext/snapshot/1")).toList();
            assertEquals(canon(want), canon(got), rn.clientId());
            assertEquals(sliver(rn.clientId()), mn.sliverId());
            assertEquals(AM, mn.componentManagerId());
            assertEquals("alice", mn.services().orElseThrow().logins().get(0).username());
            assertTrue(mn.interfaces().stream().allMatch(i -> i.macAddress() != null && i.sliverId() != null));
            // The request's own addresses are kept; the grant's address is used only when none was asked.
            assertEquals(rn.interfaces().get(0).ips().get(0).address(), mn.interfaces().get(0).ips().get(0).address());
        }
        assertEquals(canon(req.extensions()), canon(man.extensions().stream()
                .filter(e -> !e.ns().equals("http://vnsnap.net/rspec/ext/snapshot/1")).toList()));
        for (Link l : man.links()) {
            assertTrue(l.vlantag() != null && l.sliverId() != null);
            assertTrue(l.interfaceRefs().stream().allMatch(r -> r.sliverId() != null));
        }
    }

    @Test
    void manifestStatesSnapshotSettingsInForce() throws Exception {
        RSpec req = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml"));
        RSpec man = new RSpecReader().read(RSpecWriter.toString(manifest(req)));
        SnapshotSettings web = SnapshotSettings.of(man.node("web").orElseThrow());
        assertTrue(web.enabled());
        assertEquals(SnapshotMode.LIVE, web.mode());
        assertEquals(Duration.ofMinutes(30), web.schedule());
        assertEquals(4, web.retain());
        SnapshotSettings db = SnapshotSettings.of(man.node("db").orElseThrow());
        assertEquals(SnapshotMode.COW, db.mode());
        assertFalse(db.includeDisk());
        assertEquals(SnapshotSettings.DEFAULT_RETAIN, db.retain(), "defaults are written out in a manifest");
        assertFalse(SnapshotSettings.of(man.node("client1").orElseThrow()).enabled(), "no element: not enabled");
        assertTrue(man.node("client1").orElseThrow().extension("http://vnsnap.net/rspec/ext/snapshot/1", "snapshot").isPresent());
        SliceSnapshots list = SliceSnapshots.read(man).orElseThrow();
        assertEquals("snap-0001", list.records().get(0).id());
        assertEquals(Duration.ofNanos(83_500_000), list.records().get(0).vms().get(0).downtime());
        assertEquals(SnapshotState.COMPLETE, list.records().get(0).state());
    }

    @Test
    void nodesOfOtherAggregatesAreLeftAlone() throws Exception {
        String other = "urn:publicid:IDN+utah.geniracks.net+authority+cm";
        RSpec req = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml").replaceFirst(
                "component_manager_id=\"urn:publicid:IDN\\+vnsnap.example.net\\+authority\\+am\"",
                "component_manager_id=\"" + other + "\""));
        RSpec man = manifest(req);
        Node web = man.node("web").orElseThrow();
        assertEquals(other, web.componentManagerId());
        assertEquals(null, web.sliverId());
    }

    @Test
    void schemaCheckIsNotVacuous() throws Exception {
        RSpec req = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml"));
        String xml = RSpecWriter.toString(manifest(req));
        // PG v2 requires vlantag on manifest links, and our XSD knows only live, cow and stop.
        String noTag = xml.replaceAll(" vlantag=\"[0-9]+\"", "");
        assertThrows(AssertionError.class, () -> SchemaCheck.pg2(noTag, "manifest.xsd"));
        String badMode = xml.replace("mode=\"cow\"", "mode=\"hot\"");
        assertThrows(AssertionError.class, () -> SchemaCheck.pg2(badMode, "manifest.xsd"));
        assertThrows(AssertionError.class, () -> SchemaCheck.snapshotElements(badMode));
    }

    private static String canon(List<AnyElement> elements) throws Exception {
        StringBuilder b = new StringBuilder();
        for (AnyElement e : elements) {
            RSpec one = RSpec.builder(RSpecType.REQUEST).part(e).build();
            b.append(XmlCanon.of(RSpecWriter.toString(one)));
        }
        return b.toString();
    }
}
