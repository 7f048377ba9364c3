package net.vnsnap.rspec;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.vnsnap.certs.xml.SafeXml;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * A canonical text of a document's infoset for equality checks: expanded names, attributes sorted and
 * without namespace declarations, whitespace-only text between elements and comments dropped.
 */
public final class XmlCanon {
    private XmlCanon() {
    }

    public static String of(String xml) throws Exception {
        Document d = SafeXml.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), 64L << 20);
        StringBuilder b = new StringBuilder();
        element(d.getDocumentElement(), b, 0);
        return b.toString();
    }

    private static void element(Element e, StringBuilder b, int depth) {
        b.append("  ".repeat(depth)).append('{').append(ns(e.getNamespaceURI())).append('}').append(e.getLocalName());
        List<String> attrs = new ArrayList<>();
        NamedNodeMap m = e.getAttributes();
        for (int i = 0; i < m.getLength(); i++) {
            Attr a = (Attr) m.item(i);
            if ("http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI())) {
                continue;
            }
            attrs.add("{" + ns(a.getNamespaceURI()) + "}" + a.getLocalName() + "=" + a.getValue());
        }
        Collections.sort(attrs);
        b.append(' ').append(attrs).append('\n');
        boolean hasElements = false;
        for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
            hasElements |= c.getNodeType() == Node.ELEMENT_NODE;
        }
        for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeType() == Node.ELEMENT_NODE) {
                element((Element) c, b, depth + 1);
            } else if (c.getNodeType() == Node.TEXT_NODE || c.getNodeType() == Node.CDATA_SECTION_NODE) {
                String t = c.getNodeValue();
                if (hasElements && t.isBlank()) {
                    continue;
                }
                b.append("  ".repeat(depth + 1)).append("text:").append(t.replace("\n", "\\n")).append('\n');
            }
        }
    }

    private static String ns(String s) {
        return s == null ? "" : s;
    }
}
