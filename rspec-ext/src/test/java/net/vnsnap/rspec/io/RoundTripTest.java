package net.vnsnap.rspec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.XmlCanon;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecPart;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests as jFed and Omni write them survive read-write and read-modify-write without loss. */
class RoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"/requests/jfed-request.xml", "/requests/omni-request.xml", "/requests/jfed-delay-request.xml"})
    void readWriteKeepsEverything(String fixture) throws Exception {
        String in = Fixtures.text(fixture);
        RSpec r = new RSpecReader().read(in);
        String out = RSpecWriter.toString(r);
        assertEquals(XmlCanon.of(in), XmlCanon.of(out));
        assertEquals(out, RSpecWriter.toString(new RSpecReader().read(out)), "writing is stable");
    }

    @Test
    void modifyingOneNodeChangesOnlyThatNode() throws Exception {
        String in = Fixtures.text("/requests/jfed-request.xml");
        RSpec r = new RSpecReader().read(in);
        RSpec.Builder b = r.toBuilder();
        List<RSpecPart> parts = b.parts();
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) instanceof Node n && n.clientId().equals("client1")) {
                Node changed = new SnapshotSettings(true, SnapshotMode.STOP, false, null, 2, null)
                        .applyTo(n.toBuilder().sliverId("urn:publicid:IDN+vnsnap.example.net+sliver+c1").build());
                parts.set(i, changed);
            }
        }
        String out = RSpecWriter.toString(b.build());
        String expected = in.replace("<node client_id=\"client1\" exclusive=\"false\"",
                "<node client_id=\"client1\" sliver_id=\"urn:publicid:IDN+vnsnap.example.net+sliver+c1\" exclusive=\"false\"")
                .replace("      <ip address=\"192.168.20.2\" netmask=\"255.255.255.0\" type=\"ipv4\"/>\n    </interface>\n  </node>",
                        "      <ip address=\"192.168.20.2\" netmask=\"255.255.255.0\" type=\"ipv4\"/>\n    </interface>\n"
                                + "    <snap:snapshot enabled=\"true\" mode=\"stop\" include_disk=\"false\" retain=\"2\"/>\n  </node>");
        assertEquals(XmlCanon.of(expected), XmlCanon.of(out));
    }
}
