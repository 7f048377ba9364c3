package net.vnsnap.rspec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.XmlAttr;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class RSpecWriterTest {

    private static Document dom(String xml) throws Exception {
        return SafeXml.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), 1 << 20);
    }

    @Test
    void declaresWhatIsMissingAndResolvesPrefixClashes() throws Exception {
        AnyElement noNs = new AnyElement("", "", "plain", List.of(), List.of("t"), null);
        AnyElement clash = new AnyElement("urn:a", "p", "e",
                List.of(XmlAttr.nsDecl("q", "urn:q"), new XmlAttr("urn:b", "p", "attr", "1"), new XmlAttr("urn:c", "", "bare", "2")),
                List.of(noNs), null);
        Node n = Node.builder("vm").attr(XmlAttr.nsDecl("p", "urn:other")).part(clash).build();
        String xml = RSpecWriter.toString(RSpec.builder(RSpecType.REQUEST).part(n).build());
        Document d = dom(xml);
        Element root = d.getDocumentElement();
        assertEquals(Ns.GENI, root.getNamespaceURI());
        Element e = (Element) d.getElementsByTagNameNS("urn:a", "e").item(0);
        assertEquals("1", e.getAttributeNS("urn:b", "attr"));
        assertEquals("2", e.getAttributeNS("urn:c", "bare"));
        Element plain = (Element) e.getElementsByTagNameNS("*", "plain").item(0);
        assertEquals(null, plain.getNamespaceURI());
        assertEquals("t", plain.getTextContent());
    }

    @Test
    void controlCharactersCannotBeWritten() {
        Node n = Node.builder("bad\u0001id").build();
        RSpec r = RSpec.builder(RSpecType.REQUEST).part(n).build();
        assertThrows(IllegalArgumentException.class, () -> RSpecWriter.toString(r));
    }

    @Test
    void streamAndStringOutputsAgree() throws Exception {
        RSpec r = RSpec.builder(RSpecType.REQUEST).part(Node.builder("caf\u00e9").exclusive(false).build()).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RSpecWriter.write(r, out);
        assertEquals(RSpecWriter.toString(r), out.toString(StandardCharsets.UTF_8));
        assertEquals("caf\u00e9", new RSpecReader().read(out.toByteArray()).nodes().get(0).clientId());
    }
}
