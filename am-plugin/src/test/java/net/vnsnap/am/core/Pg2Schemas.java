package net.vnsnap.am.core;

import java.nio.file.Path;
import javax.xml.transform.Source;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.snapshot.SnapshotNs;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks the AM's advertisements and manifests against the ProtoGENI v2 XSDs of the shared schema
 * directory (the GENI v3 XSDs are not available; v3 is PG v2 under a new namespace) plus our snapshot XSD.
 */
public final class Pg2Schemas {

    private Pg2Schemas() {
    }

    /** Throws with the validator's message when {@code xml} is not valid against {@code xsd} (e.g. "ad.xsd"). */
    public static void check(String xml, String xsd) throws Exception {
        Document d = SafeXml.parse(xml, 64L << 20);
        Element root = d.getDocumentElement();
        root.removeAttributeNS(Ns.XSI, "schemaLocation");
        toPg2(d, root);
        Path dir = Path.of(System.getProperty("vnsnap.shared"), "geni-schemas", "rspec-protogeni-2");
        Schema s = SafeXml.schemaFactory().newSchema(new Source[] {new StreamSource(dir.resolve(xsd).toFile()),
                new StreamSource(Pg2Schemas.class.getResource(SnapshotNs.XSD_RESOURCE).toExternalForm())});
        s.newValidator().validate(new DOMSource(d));
    }

    /** Moves every element of the GENI v3 namespace to PG v2's, keeping prefixes and children. */
    private static void toPg2(Document d, Element e) {
        Element cur = e;
        if (Ns.GENI.equals(e.getNamespaceURI())) {
            cur = (Element) d.renameNode(e, Ns.PG2, e.getTagName());
        }
        for (Node c = cur.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element ce) {
                toPg2(d, ce);
            }
        }
    }
}
