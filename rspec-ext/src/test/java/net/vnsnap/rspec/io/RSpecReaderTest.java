package net.vnsnap.rspec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.XmlCanon;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RSpecReaderTest {
    private static final String OPEN = "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n";

    @Test
    void modelHoldsTheRequestsValuesAndPositions() throws Exception {
        RSpec r = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml"));
        assertEquals(RSpecType.REQUEST, r.type());
        assertEquals(3, r.nodes().size());
        assertEquals(2, r.links().size());
        Node web = r.node("web").orElseThrow();
        assertEquals(3, web.pos().line());
        assertEquals(Boolean.FALSE, web.exclusive());
        assertEquals("urn:publicid:IDN+vnsnap.example.net+authority+am", web.componentManagerId());
        assertEquals("192.168.10.1", web.interfaces().get(0).ips().get(0).address());
        assertEquals(9, web.interfaces().get(0).ips().get(0).pos().line());
        AnyElement jfedLocation = web.extensions().get(0);
        assertTrue(jfedLocation.is(Ns.JFED, "location"));
        assertEquals("152.5", jfedLocation.attr("x").orElseThrow());
        assertEquals(45, r.links().get(1).properties().get(0).pos().line());
        assertEquals("100000", r.links().get(1).properties().get(0).capacity());
        assertEquals(2, r.extensions().size());
    }

    @Test
    void escapedTextAndAttributesSurvive() throws Exception {
        String in = OPEN + "  <node client_id=\"a&amp;b &lt;x&gt; &quot;q&quot;\">\n"
                + "    <x:note xmlns:x=\"urn:example:x\">1 &lt; 2 &amp;&amp; 3 &gt; 2<![CDATA[ <raw> ]]></x:note>\n"
                + "  </node>\n</rspec>";
        RSpec r = new RSpecReader().read(in);
        assertEquals("a&b <x> \"q\"", r.nodes().get(0).clientId());
        assertEquals("1 < 2 && 3 > 2 <raw> ", r.nodes().get(0).extensions().get(0).text());
        String same = in.replace("<![CDATA[ <raw> ]]>", " &lt;raw&gt; ");
        assertEquals(XmlCanon.of(same), XmlCanon.of(RSpecWriter.toString(r)));
    }

    @Test
    void foreignAttributesOnCoreElementsSurvive() throws Exception {
        String in = OPEN.replace(">", " xmlns:emulab=\"" + Ns.EMULAB + "\" emulab:slice=\"s1\">")
                + "  <node client_id=\"a\" emulab:nfs=\"false\" colocate=\"x\">\n"
                + "    <interface client_id=\"a:if0\" emulab:bandwidth=\"1000\" xmlns:p=\"urn:p\" p:q=\"r\"/>\n"
                + "  </node>\n</rspec>";
        RSpec r = new RSpecReader().read(in);
        assertEquals(XmlCanon.of(in), XmlCanon.of(RSpecWriter.toString(r)));
    }

    @Test
    void malformedDocumentGivesLineAndColumn() {
        String bad = OPEN + "  <node client_id=\"a\">\n    <sliver_type name=\"xen-vm\">\n  </node>\n</rspec>";
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(bad));
        assertEquals(4, e.line());
        assertTrue(e.column() > 0);
        assertTrue(e.getMessage().startsWith("line 4, column " + e.column() + ": malformed XML: "), e.getMessage());
        assertTrue(e.getMessage().contains("sliver_type"), e.getMessage());
        assertEquals(GeniCode.BADARGS, e.code());
    }

    @Test
    void badAttributeSyntaxGivesLineAndColumn() {
        String bad = OPEN + "  <node client_id=a/>\n</rspec>";
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(bad));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("line 2, column "), e.getMessage());
    }

    @Test
    void doctypeIsRefused() {
        String dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE rspec [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>\n"
                + OPEN + "  <node client_id=\"&b;\"/>\n</rspec>";
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(dtd));
        assertTrue(e.getMessage().contains("DOCTYPE declarations are not allowed"), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void externalEntitiesAreRefused(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOPSECRET");
        String xxe = "<!DOCTYPE rspec [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]>\n"
                + OPEN + "  <node client_id=\"&x;\"/>\n</rspec>";
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(xxe));
        assertFalse(e.getMessage().contains("TOPSECRET"));
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        String noDtd = OPEN + "  <node client_id=\"&x;\"/>\n</rspec>";
        RSpecException e2 = assertThrows(RSpecException.class, () -> new RSpecReader().read(noDtd));
        assertEquals(2, e2.line(), e2.getMessage());
    }

    @Test
    void documentsOverTheSizeCapAreRefused() {
        StringBuilder b = new StringBuilder(OPEN);
        while (b.length() < 20_000) {
            b.append("  <node client_id=\"n").append(b.length()).append("\"/>\n");
        }
        b.append("</rspec>");
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader(10_000).read(b.toString()));
        assertTrue(e.getMessage().contains("larger than the limit of 10000 bytes"), e.getMessage());
    }

    @Test
    void wrongRootOrTypeIsRefused() {
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(
                "<rspec xmlns=\"http://www.protogeni.net/resources/rspec/2\" type=\"request\"/>"));
        assertTrue(e.getMessage().startsWith("line 1, column "), e.getMessage());
        assertTrue(e.detail().contains("must be rspec in namespace http://www.geni.net/resources/rspec/3"), e.detail());
        RSpecException t = assertThrows(RSpecException.class, () -> new RSpecReader().read(
                "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"ticket\"/>"));
        assertEquals("rspec type 'ticket' is not request, advertisement or manifest", t.detail());
    }

    @Test
    void badExclusiveValueIsNamed() {
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(
                OPEN + "  <node client_id=\"a\" exclusive=\"maybe\"/>\n</rspec>"));
        assertEquals("node 'a': exclusive 'maybe' is not true or false", e.detail());
        assertEquals(2, e.line());
    }

    @Test
    void deepNestingIsRefused() {
        StringBuilder b = new StringBuilder(OPEN + "<node client_id=\"a\">");
        for (int i = 0; i < 400; i++) {
            b.append("<x:e xmlns:x=\"urn:x\">");
        }
        for (int i = 0; i < 400; i++) {
            b.append("</x:e>");
        }
        b.append("</node></rspec>");
        RSpecException e = assertThrows(RSpecException.class, () -> new RSpecReader().read(b.toString()));
        assertTrue(e.detail().contains("nested deeper than"), e.detail());
    }
}
