package net.vnsnap.rspec;

import java.io.ByteArrayInputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.transform.Source;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.Validator;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.snapshot.SnapshotNs;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXParseException;

/**
 * Validates generated documents: against the PG v2 XSDs (after renaming the GENI v3 namespace to PG v2's)
 * together with our snapshot XSD, and each snapshot element strictly against our XSD alone.
 */
public final class SchemaCheck {
    private SchemaCheck() {
    }

    /** Our XSD from the classpath. */
    public static URL snapshotXsd() {
        URL u = SchemaCheck.class.getResource(SnapshotNs.XSD_RESOURCE);
        if (u == null) {
            throw new IllegalStateException("snapshot XSD missing from the classpath");
        }
        return u;
    }

    /** Validates {@code xml} against rspec-protogeni-2/{entry} plus our XSD; throws with line and message. */
    public static void pg2(String xml, String entry) throws Exception {
        Document d = SafeXml.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), 64L << 20);
        Element root = d.getDocumentElement();
        // Hints would point the validator at http URLs; the schemas are given explicitly instead.
        root.removeAttributeNS(Ns.XSI, "schemaLocation");
        rename(d, root);
        Schema s = SafeXml.schemaFactory().newSchema(new Source[] {
                new StreamSource(Fixtures.shared().resolve("geni-schemas/rspec-protogeni-2/" + entry).toFile()),
                new StreamSource(snapshotXsd().toExternalForm())});
        validate(s, d);
    }

    /** Validates every element of our namespace in {@code xml} strictly against our XSD alone; returns how many. */
    public static int snapshotElements(String xml) throws Exception {
        Document d = SafeXml.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), 64L << 20);
        Schema s = SafeXml.schemaFactory().newSchema(new StreamSource(snapshotXsd().toExternalForm()));
        List<Element> found = new ArrayList<>();
        collect(d.getDocumentElement(), found);
        for (Element e : found) {
            Document one = SafeXml.documentBuilder().newDocument();
            one.appendChild(one.importNode(e, true));
            validate(s, one);
        }
        return found.size();
    }

    private static void collect(Element e, List<Element> out) {
        if (SnapshotNs.NS.equals(e.getNamespaceURI())) {
            out.add(e);
            return;
        }
        for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element ce) {
                collect(ce, out);
            }
        }
    }

    private static void validate(Schema s, Document d) throws Exception {
        Validator v = s.newValidator();
        try {
            v.validate(new DOMSource(d));
        } catch (SAXParseException e) {
            throw new AssertionError("schema violation: " + e.getMessage() + "\n" + SafeXml.toString(d, false), e);
        }
    }

    private static void rename(Document d, Element e) {
        Element cur = e;
        if (Ns.GENI.equals(e.getNamespaceURI())) {
            cur = (Element) d.renameNode(e, Ns.PG2, e.getPrefix() == null ? e.getLocalName()
                    : e.getPrefix() + ":" + e.getLocalName());
        }
        for (Node c = cur.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element ce) {
                rename(d, ce);
            }
        }
    }
}
