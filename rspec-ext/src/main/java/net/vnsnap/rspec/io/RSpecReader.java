package net.vnsnap.rspec.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.certs.xml.SizeCappedInputStream;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.ComponentManager;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.HardwareType;
import net.vnsnap.rspec.model.Host;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.InterfacePart;
import net.vnsnap.rspec.model.InterfaceRef;
import net.vnsnap.rspec.model.Ip;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.LinkPart;
import net.vnsnap.rspec.model.LinkProperty;
import net.vnsnap.rspec.model.LinkType;
import net.vnsnap.rspec.model.Location;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.NodePart;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.Pos;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecPart;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.Services;
import net.vnsnap.rspec.model.ServicesPart;
import net.vnsnap.rspec.model.SliverType;
import net.vnsnap.rspec.model.SliverTypePart;
import net.vnsnap.rspec.model.XmlAttr;

/**
 * Reads GENI v3 RSpecs with a hardened StAX parser straight into the immutable model, one element at a
 * time (no DOM), keeping every element's position and every unknown element or attribute.
 */
public final class RSpecReader {

    /** Deeper nesting than this is refused, so a hostile document cannot exhaust the stack. */
    public static final int MAX_DEPTH = 256;

    /** StAX factories are not documented as thread-safe, so each thread gets its own hardened one. */
    private static final ThreadLocal<XMLInputFactory> FACTORY = ThreadLocal.withInitial(() -> {
        XMLInputFactory f = SafeXml.xmlInputFactory();
        f.setXMLResolver((publicId, systemId, base, ns) -> {
            throw new XMLStreamException("external entities are not allowed: " + systemId);
        });
        return f;
    });

    /** Upper bound on the document size in bytes; larger inputs are refused before they are read whole. */
    private final long maxBytes;

    public RSpecReader() {
        this(SafeXml.DEFAULT_MAX_BYTES);
    }

    public RSpecReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Reads a whole RSpec. */
    public RSpec read(InputStream in) throws RSpecException {
        List<RSpecPart> parts = new ArrayList<>();
        RSpec head = stream(in, parts::add);
        return withParts(head, parts);
    }

    public RSpec read(String xml) throws RSpecException {
        return read(xml.getBytes(StandardCharsets.UTF_8));
    }

    public RSpec read(byte[] xml) throws RSpecException {
        return read(new ByteArrayInputStream(xml));
    }

    /**
     * Reads an RSpec handing each top-level node, link and extension to {@code sink} as soon as it is
     * complete, and returns the root alone (no parts): memory stays bounded by the largest single node.
     */
    public RSpec stream(InputStream in, Consumer<RSpecPart> sink) throws RSpecException {
        XMLStreamReader r = null;
        try {
            r = FACTORY.get().createXMLStreamReader(new SizeCappedInputStream(in, maxBytes));
            return new Parse(r).document(sink);
        } catch (XMLStreamException e) {
            throw translate(e);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // Closing only frees the parser; the input belongs to the caller.
                }
            }
        }
    }

    private static RSpec withParts(RSpec head, List<RSpecPart> parts) {
        return new RSpec(head.type(), head.generated(), head.generatedBy(), head.expires(), head.attrs(), parts,
                head.pos());
    }

    private static RSpecException translate(XMLStreamException e) {
        for (Throwable t = e; t != null; t = t.getCause() != null ? t.getCause() : nested(t)) {
            if (t instanceof SizeCappedInputStream.TooLargeException) {
                return new RSpecException(-1, -1, t.getMessage(), e);
            }
            if (t instanceof IOException && !(t instanceof XMLStreamException)) {
                return new RSpecException(-1, -1, "cannot read the RSpec: " + t.getMessage(), e);
            }
            if (t.getCause() == null && nested(t) == null) {
                break;
            }
        }
        javax.xml.stream.Location loc = e.getLocation();
        int line = loc == null ? -1 : loc.getLineNumber();
        int col = loc == null ? -1 : loc.getColumnNumber();
        String msg = e.getMessage() == null ? "malformed XML" : e.getMessage();
        int k = msg.indexOf("Message: ");
        if (k >= 0) {
            msg = msg.substring(k + "Message: ".length());
        }
        msg = msg.replace('\n', ' ').trim();
        if (msg.contains("DOCTYPE") || msg.contains("DTD")) {
            msg = "DOCTYPE declarations are not allowed in an RSpec";
        }
        return new RSpecException(line, col, "malformed XML: " + msg, e);
    }

    private static Throwable nested(Throwable t) {
        return t instanceof XMLStreamException x && x.getNestedException() != t ? x.getNestedException() : null;
    }

    /** One parse: the StAX cursor plus the recursive-descent readers for each element. */
    private static final class Parse {
        private final XMLStreamReader r;
        /** Current element depth, checked against MAX_DEPTH because the reader recurses per element. */
        private int depth;

        Parse(XMLStreamReader r) {
            this.r = r;
        }

        RSpec document(Consumer<RSpecPart> sink) throws XMLStreamException, RSpecException {
            while (true) {
                int ev = r.next();
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    break;
                }
                checkForbidden(ev);
                if (ev == XMLStreamConstants.END_DOCUMENT) {
                    throw new RSpecException(-1, -1, "the document has no root element", null);
                }
            }
            Pos pos = here();
            if (!Ns.GENI.equals(r.getNamespaceURI()) || !"rspec".equals(r.getLocalName())) {
                throw RSpecException.at(pos, "the root element must be rspec in namespace " + Ns.GENI + ", not "
                        + describe(r.getNamespaceURI(), r.getLocalName()));
            }
            String[] v = new String[4];
            List<XmlAttr> extra = attrs(v, "type", "generated", "generated_by", "expires");
            RSpecType type = RSpecType.fromWire(v[0]);
            if (type == null) {
                throw RSpecException.at(pos, v[0] == null ? "rspec has no type attribute"
                        : "rspec type '" + v[0] + "' is not request, advertisement or manifest");
            }
            RSpec head = new RSpec(type, v[1], v[2], v[3], extra, List.of(), pos);
            depth = 1;
            while (nextChild()) {
                if (isGeni("node")) {
                    sink.accept(node());
                } else if (isGeni("link")) {
                    sink.accept(link());
                } else {
                    sink.accept(any());
                }
            }
            while (r.hasNext()) {
                checkForbidden(r.next());
            }
            return head;
        }

        private Node node() throws XMLStreamException, RSpecException {
            Pos pos = here();
            String[] v = new String[6];
            List<XmlAttr> extra = attrs(v, "client_id", "component_id", "component_manager_id", "component_name",
                    "exclusive", "sliver_id");
            Boolean exclusive = bool(v[4], pos, "node '" + v[0] + "': exclusive");
            List<NodePart> parts = new ArrayList<>();
            enter();
            while (nextChild()) {
                if (!Ns.GENI.equals(r.getNamespaceURI())) {
                    parts.add(any());
                    continue;
                }
                switch (r.getLocalName()) {
                    case "sliver_type" -> parts.add(sliverType());
                    case "hardware_type" -> {
                        Pos p = here();
                        String[] h = new String[1];
                        List<XmlAttr> a = attrs(h, "name");
                        parts.add(new HardwareType(h[0], a, anyChildren(), p));
                    }
                    case "interface" -> parts.add(iface());
                    case "services" -> parts.add(services());
                    case "location" -> {
                        Pos p = here();
                        String[] l = new String[3];
                        List<XmlAttr> a = attrs(l, "country", "latitude", "longitude");
                        parts.add(new Location(l[0], l[1], l[2], a, anyChildren(), p));
                    }
                    case "host" -> {
                        Pos p = here();
                        String[] h = new String[1];
                        List<XmlAttr> a = attrs(h, "name");
                        skipChildren();
                        parts.add(new Host(h[0], a, p));
                    }
                    default -> parts.add(any());
                }
            }
            leave();
            return new Node(v[0], v[1], v[2], v[3], exclusive, v[5], extra, parts, pos);
        }

        private SliverType sliverType() throws XMLStreamException, RSpecException {
            Pos pos = here();
            String[] v = new String[1];
            List<XmlAttr> extra = attrs(v, "name");
            List<SliverTypePart> parts = new ArrayList<>();
            enter();
            while (nextChild()) {
                if (isGeni("disk_image")) {
                    Pos p = here();
                    String[] d = new String[4];
                    List<XmlAttr> a = attrs(d, "name", "os", "version", "description");
                    parts.add(new DiskImage(d[0], d[1], d[2], d[3], a, anyChildren(), p));
                } else {
                    parts.add(any());
                }
            }
            leave();
            return new SliverType(v[0], extra, parts, pos);
        }

        private Interface iface() throws XMLStreamException, RSpecException {
            Pos pos = here();
            String[] v = new String[4];
            List<XmlAttr> extra = attrs(v, "client_id", "component_id", "sliver_id", "mac_address");
            List<InterfacePart> parts = new ArrayList<>();
            enter();
            while (nextChild()) {
                if (isGeni("ip")) {
                    Pos p = here();
                    String[] d = new String[3];
                    List<XmlAttr> a = attrs(d, "address", "netmask", "type");
                    parts.add(new Ip(d[0], d[1], d[2], a, anyChildren(), p));
                } else {
                    parts.add(any());
                }
            }
            leave();
            return new Interface(v[0], v[1], v[2], v[3], extra, parts, pos);
        }

        private Services services() throws XMLStreamException, RSpecException {
            Pos pos = here();
            List<XmlAttr> extra = attrs(new String[0]);
            List<ServicesPart> parts = new ArrayList<>();
            enter();
            while (nextChild()) {
                if (isGeni("login")) {
                    Pos p = here();
                    String[] d = new String[4];
                    List<XmlAttr> a = attrs(d, "authentication", "hostname", "port", "username");
                    parts.add(new Login(d[0], d[1], d[2], d[3], a, anyChildren(), p));
                } else {
                    parts.add(any());
                }
            }
            leave();
            return new Services(extra, parts, pos);
        }

        private Link link() throws XMLStreamException, RSpecException {
            Pos pos = here();
            String[] v = new String[4];
            List<XmlAttr> extra = attrs(v, "client_id", "component_id", "sliver_id", "vlantag");
            List<LinkPart> parts = new ArrayList<>();
            enter();
            while (nextChild()) {
                if (!Ns.GENI.equals(r.getNamespaceURI())) {
                    parts.add(any());
                    continue;
                }
                Pos p = here();
                switch (r.getLocalName()) {
                    case "component_manager" -> {
                        String[] d = new String[1];
                        List<XmlAttr> a = attrs(d, "name");
                        skipChildren();
                        parts.add(new ComponentManager(d[0], a, p));
                    }
                    case "interface_ref" -> {
                        String[] d = new String[3];
                        List<XmlAttr> a = attrs(d, "client_id", "component_id", "sliver_id");
                        parts.add(new InterfaceRef(d[0], d[1], d[2], a, anyChildren(), p));
                    }
                    case "property" -> {
                        String[] d = new String[5];
                        List<XmlAttr> a = attrs(d, "source_id", "dest_id", "capacity", "latency", "packet_loss");
                        parts.add(new LinkProperty(d[0], d[1], d[2], d[3], d[4], a, anyChildren(), p));
                    }
                    case "link_type" -> {
                        String[] d = new String[1];
                        List<XmlAttr> a = attrs(d, "name");
                        parts.add(new LinkType(d[0], a, anyChildren(), p));
                    }
                    default -> parts.add(any());
                }
            }
            leave();
            return new Link(v[0], v[1], v[2], v[3], extra, parts, pos);
        }

        /** The children of a leaf element, which the schemas allow only as extensions. */
        private List<AnyElement> anyChildren() throws XMLStreamException, RSpecException {
            List<AnyElement> out = new ArrayList<>();
            enter();
            while (nextChild()) {
                out.add(any());
            }
            leave();
            return out;
        }

        private void skipChildren() throws XMLStreamException, RSpecException {
            anyChildren();
        }

        /** Reads the current element and everything inside it as a generic tree. */
        private AnyElement any() throws XMLStreamException, RSpecException {
            Pos pos = here();
            String ns = r.getNamespaceURI();
            String prefix = r.getPrefix();
            String local = r.getLocalName();
            List<XmlAttr> attrs = attrs(new String[0]);
            List<Object> content = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            boolean hasElements = false;
            enter();
            while (true) {
                int ev = r.next();
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    flush(text, content);
                    content.add(any());
                    hasElements = true;
                } else if (ev == XMLStreamConstants.END_ELEMENT) {
                    break;
                } else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA
                        || ev == XMLStreamConstants.SPACE) {
                    text.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
                } else {
                    checkForbidden(ev);
                }
            }
            leave();
            flush(text, content);
            if (hasElements) {
                // Indentation between child elements is layout, not content; the writer re-indents.
                content.removeIf(o -> o instanceof String s && s.isBlank());
            }
            return new AnyElement(ns, prefix, local, attrs, content, pos);
        }

        private static void flush(StringBuilder text, List<Object> content) {
            if (text.length() > 0) {
                content.add(text.toString());
                text.setLength(0);
            }
        }

        /**
         * Puts the values of the named un-namespaced attributes into {@code out} (null when absent) and
         * returns every other attribute and namespace declaration in document order.
         */
        private List<XmlAttr> attrs(String[] out, String... names) {
            List<XmlAttr> extra = new ArrayList<>(0);
            for (int i = 0, n = r.getNamespaceCount(); i < n; i++) {
                String uri = r.getNamespaceURI(i);
                extra.add(XmlAttr.nsDecl(r.getNamespacePrefix(i), uri == null ? "" : uri));
            }
            outer:
            for (int i = 0, n = r.getAttributeCount(); i < n; i++) {
                String ns = r.getAttributeNamespace(i);
                String local = r.getAttributeLocalName(i);
                if (ns == null || ns.isEmpty()) {
                    for (int k = 0; k < names.length; k++) {
                        if (names[k].equals(local)) {
                            out[k] = r.getAttributeValue(i);
                            continue outer;
                        }
                    }
                }
                extra.add(new XmlAttr(ns, r.getAttributePrefix(i), local, r.getAttributeValue(i)));
            }
            return extra;
        }

        /** Moves to the next child element of the current one; false when the current element ends. */
        private boolean nextChild() throws XMLStreamException, RSpecException {
            while (true) {
                int ev = r.next();
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    return true;
                }
                if (ev == XMLStreamConstants.END_ELEMENT) {
                    return false;
                }
                checkForbidden(ev);
            }
        }

        private void checkForbidden(int ev) throws RSpecException {
            if (ev == XMLStreamConstants.DTD) {
                throw RSpecException.at(here(), "DOCTYPE declarations are not allowed in an RSpec");
            }
            if (ev == XMLStreamConstants.ENTITY_REFERENCE) {
                throw RSpecException.at(here(), "entity reference '&" + r.getLocalName() + ";' is not allowed");
            }
        }

        private boolean isGeni(String local) {
            return Ns.GENI.equals(r.getNamespaceURI()) && local.equals(r.getLocalName());
        }

        private void enter() throws RSpecException {
            if (++depth > MAX_DEPTH) {
                throw RSpecException.at(here(), "elements are nested deeper than " + MAX_DEPTH + " levels");
            }
        }

        private void leave() {
            depth--;
        }

        private Pos here() {
            javax.xml.stream.Location l = r.getLocation();
            return l == null ? Pos.NONE : new Pos(l.getLineNumber(), l.getColumnNumber());
        }

        private static Boolean bool(String s, Pos pos, String what) throws RSpecException {
            return RSpecReader.xsBoolean(s, pos, what);
        }

        private static String describe(String ns, String local) {
            return ns == null || ns.isEmpty() ? local + " (no namespace)" : "{" + ns + "}" + local;
        }
    }

    /** An xs:boolean attribute value ("true", "false", "1", "0"), or null when absent. */
    public static Boolean xsBoolean(String s, Pos pos, String what) throws RSpecException {
        if (s == null) {
            return null;
        }
        switch (s.trim()) {
            case "true", "1":
                return Boolean.TRUE;
            case "false", "0":
                return Boolean.FALSE;
            default:
                throw RSpecException.at(pos, what + " '" + s + "' is not true or false");
        }
    }
}
