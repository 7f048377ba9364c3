package net.vnsnap.certs.xml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.stream.XMLInputFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.validation.SchemaFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Factories for XML parsers that refuse DOCTYPEs, external entities, DTD loading and XInclude,
 * and a size-capped DOM parse; every XML input of vnsnap goes through here.
 */
public final class SafeXml {

    /** Default cap for a credential or RSpec: generous for real documents, far below memory trouble. */
    public static final long DEFAULT_MAX_BYTES = 8L * 1024 * 1024;

    private static final String DISALLOW_DOCTYPE = "http://apache.org/xml/features/disallow-doctype-decl";

    /** Parser features every DOM and SAX parser gets: no DOCTYPE, no external entities, no external DTD. */
    private static final java.util.Map<String, Boolean> HARDENING = java.util.Map.of(
            XMLConstants.FEATURE_SECURE_PROCESSING, true,
            DISALLOW_DOCTYPE, true,
            "http://xml.org/sax/features/external-general-entities", false,
            "http://xml.org/sax/features/external-parameter-entities", false,
            "http://apache.org/xml/features/nonvalidating/load-external-dtd", false);

    private SafeXml() {
    }

    /** A namespace-aware DOM builder factory with every external and DTD feature off. */
    public static DocumentBuilderFactory documentBuilderFactory() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setValidating(false);
        try {
            for (var feature : HARDENING.entrySet()) {
                f.setFeature(feature.getKey(), feature.getValue());
            }
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened", e);
        }
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        return f;
    }

    /** A SAX parser factory with the same protections, for streaming readers (XML-RPC, large RSpecs). */
    public static SAXParserFactory saxParserFactory() {
        SAXParserFactory f = SAXParserFactory.newInstance();
        f.setNamespaceAware(true);
        f.setValidating(false);
        f.setXIncludeAware(false);
        try {
            for (var feature : HARDENING.entrySet()) {
                f.setFeature(feature.getKey(), feature.getValue());
            }
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("SAX parser cannot be hardened", e);
        }
        return f;
    }

    /** A StAX factory that supports no DTDs and resolves no external entities. */
    public static XMLInputFactory xmlInputFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        return f;
    }

    /**
     * A schema factory for local XSD files only: schemas may import each other by file,
     * but documents being validated cannot pull anything in.
     */
    public static SchemaFactory schemaFactory() {
        SchemaFactory f = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        try {
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "file,jar:file");
        } catch (SAXException e) {
            throw new IllegalStateException("schema factory cannot be hardened", e);
        }
        return f;
    }

    /** A hardened DOM builder whose errors are thrown rather than printed. */
    public static DocumentBuilder documentBuilder() {
        try {
            DocumentBuilder b = documentBuilderFactory().newDocumentBuilder();
            b.setErrorHandler(THROWING);
            b.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not allowed: " + systemId);
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a document of at most {@code maxBytes} bytes. */
    public static Document parse(InputStream in, long maxBytes) throws XmlInputException {
        try {
            return documentBuilder().parse(new SizeCappedInputStream(in, maxBytes));
        } catch (SAXParseException e) {
            throw translate(e);
        } catch (SizeCappedInputStream.TooLargeException e) {
            throw new XmlInputException(XmlInputException.Kind.TOO_LARGE, e.getMessage(), -1, -1, e);
        } catch (SAXException e) {
            throw new XmlInputException(XmlInputException.Kind.MALFORMED, clean(e.getMessage()), -1, -1, e);
        } catch (IOException e) {
            throw new XmlInputException(XmlInputException.Kind.MALFORMED, "cannot read document: " + e.getMessage(), -1, -1, e);
        }
    }

    /** Parses a string document, capped at {@code maxBytes} UTF-8 bytes. */
    public static Document parse(String xml, long maxBytes) throws XmlInputException {
        if ((long) xml.length() > maxBytes) {
            // Fail before encoding a huge string: every char is at least one byte.
            throw new XmlInputException(XmlInputException.Kind.TOO_LARGE,
                    "document is larger than the limit of " + maxBytes + " bytes", -1, -1, null);
        }
        return parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), maxBytes);
    }

    /** Turns a parser error into an XmlInputException with position and a plain message. */
    public static XmlInputException translate(SAXParseException e) {
        String msg = clean(e.getMessage());
        XmlInputException.Kind kind = XmlInputException.Kind.MALFORMED;
        if (msg != null && (msg.contains("DOCTYPE") || msg.contains("entity") || msg.contains("Entity"))) {
            kind = XmlInputException.Kind.FORBIDDEN_CONSTRUCT;
            if (msg.contains("DOCTYPE")) {
                msg = "DOCTYPE declarations are not allowed";
            }
        }
        return new XmlInputException(kind, msg, e.getLineNumber(), e.getColumnNumber(), e);
    }

    /** Serializes a node as UTF-8 text without an XML declaration change or pretty printing. */
    public static String toString(Node node, boolean omitDeclaration) {
        try {
            TransformerFactory tf = TransformerFactory.newInstance();
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            Transformer t = tf.newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, omitDeclaration ? "yes" : "no");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(node), new StreamResult(w));
            return w.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException("cannot serialize XML", e);
        }
    }

    private static String clean(String msg) {
        if (msg == null) {
            return "malformed XML";
        }
        // Xerces prefixes some messages with an internal key such as "cvc-..." or a URL; keep the text.
        return msg.replace('\n', ' ').trim();
    }

    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
            // Warnings do not stop a parse.
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };
}
