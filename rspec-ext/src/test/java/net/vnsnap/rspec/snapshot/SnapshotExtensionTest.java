package net.vnsnap.rspec.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.RSpecs;
import net.vnsnap.rspec.SchemaCheck;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.io.RSpecWriter;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.SliverType;
import net.vnsnap.rspec.validate.AggregateProfile;
import org.junit.jupiter.api.Test;

class SnapshotExtensionTest {

    @Test
    void amReadsEachNodesSettings() throws Exception {
        RSpec req = RSpecs.parseRequest(Fixtures.text("/requests/jfed-request.xml"), AggregateProfile.defaults());
        Map<String, SnapshotSettings> s = RSpecs.snapshotSettings(req);
        assertEquals(3, s.size());
        SnapshotSettings web = s.get("web");
        assertTrue(web.enabled());
        assertEquals(SnapshotMode.LIVE, web.mode());
        assertTrue(web.includeDisk());
        assertEquals(Duration.ofMinutes(30), web.schedule());
        assertEquals(4, web.effectiveRetain());
        SnapshotSettings db = s.get("db");
        assertTrue(db.enabled(), "enabled defaults to true when the element is present");
        assertEquals(SnapshotMode.COW, db.mode());
        assertFalse(db.includeDisk());
        assertEquals(null, db.schedule());
        assertEquals(SnapshotSettings.DEFAULT_RETAIN, db.effectiveRetain());
        assertFalse(s.get("client1").enabled());
    }

    @Test
    void settingsWrittenByClientsReadBackAndValidate() throws Exception {
        SnapshotSettings want = new SnapshotSettings(true, SnapshotMode.STOP, false, Duration.ofHours(6), 7, null);
        Node n = want.applyTo(Node.builder("vm").part(SliverType.of("xen-vm", null)).build());
        RSpec r = RSpec.builder(net.vnsnap.rspec.model.RSpecType.REQUEST).part(n).build();
        String xml = RSpecWriter.toString(r);
        assertEquals(1, SchemaCheck.snapshotElements(xml));
        SnapshotSettings got = SnapshotSettings.of(new RSpecReader().read(xml).nodes().get(0));
        assertEquals(want.mode(), got.mode());
        assertEquals(want.schedule(), got.schedule());
        assertEquals(want.retain(), got.retain());
        assertEquals(want.includeDisk(), got.includeDisk());
        assertTrue(xml.contains("schedule=\"PT6H\""), xml);
    }

    @Test
    void applyingSettingsTwiceKeepsOneElement() throws Exception {
        Node n = SnapshotSettings.enabledDefaults().applyTo(Node.builder("vm").build());
        n = SnapshotSettings.disabled().applyTo(n);
        assertEquals(1, n.extensions().size());
        assertFalse(SnapshotSettings.of(n).enabled());
    }

    @Test
    void badBooleanIsNamed() throws Exception {
        RSpec r = new RSpecReader().read("<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n"
                + "<node client_id=\"a\"><s:snapshot xmlns:s=\"http://vnsnap.net/rspec/ext/snapshot/1\" include_disk=\"yes\"/></node></rspec>");
        RSpecException e = assertThrows(RSpecException.class, () -> SnapshotSettings.of(r.nodes().get(0)));
        assertEquals("node 'a': snapshot include_disk 'yes' is not true or false", e.detail());
        assertEquals(2, e.line());
    }

    @Test
    void bundledXsdIsOnTheClasspath() {
        assertTrue(SchemaCheck.snapshotXsd().toExternalForm().endsWith("snapshot-1.xsd"));
    }
}
