package net.vnsnap.rspec.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.XmlAttr;

/**
 * A small namespace-aware XML emitter: it keeps preserved prefixes and declarations, declares a prefix
 * only where one is missing, and indents element-only content.
 */
final class XmlOut {

    /** One open element: its bindings and whether its content is mixed (then nothing is indented). */
    private static final class Frame {
        final Map<String, String> bindings = new HashMap<>(4);
        final boolean inline;
        boolean hasContent;

        Frame(boolean inline) {
            this.inline = inline;
        }
    }

    private final Writer w;
    private final Deque<Frame> open = new ArrayDeque<>();
    /** The qualified names of the open elements, for their end tags. */
    private final Deque<String> qnames = new ArrayDeque<>();
    /** True while the current start tag still awaits its closing '>'. */
    private boolean startPending;
    /** Counter for prefixes we must invent (ns1, ns2, ...) when a preserved one is unusable. */
    private int generated;

    XmlOut(Writer w) {
        this.w = w;
    }

    void declaration() {
        raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    /**
     * Opens an element; {@code attrs} may hold namespace declarations (written first, as given).
     * {@code inline} marks mixed content, written without indentation.
     */
    void start(String ns, String prefixHint, String local, List<XmlAttr> attrs, boolean inline) {
        Frame parent = open.peek();
        closePending();
        if (parent != null && !parent.inline) {
            raw("\n");
            indent(open.size());
        }
        if (parent != null) {
            parent.hasContent = true;
        }
        Frame f = new Frame(parent != null && parent.inline || inline);
        open.push(f);
        List<String> pieces = new ArrayList<>(attrs.size() + 2);
        for (XmlAttr a : attrs) {
            if (a.isNsDecl()) {
                f.bindings.put(a.declaredPrefix(), a.value());
                pieces.add(a.declaredPrefix().isEmpty() ? "xmlns" : "xmlns:" + a.declaredPrefix());
                pieces.add(a.value());
            }
        }
        String ens = ns == null ? "" : ns;
        String prefix;
        if (ens.isEmpty()) {
            prefix = "";
            if (!resolve("").isEmpty()) {
                f.bindings.put("", "");
                pieces.add("xmlns");
                pieces.add("");
            }
        } else {
            prefix = prefixFor(ens, prefixHint == null ? "" : prefixHint, true);
            if (prefix == null) {
                prefix = declare(f, pieces, prefixHint == null ? "" : prefixHint, ens, true);
            }
        }
        String qname = prefix.isEmpty() ? local : prefix + ":" + local;
        raw("<");
        raw(qname);
        List<String> attrPieces = new ArrayList<>(attrs.size() * 2);
        for (XmlAttr a : attrs) {
            if (a.isNsDecl()) {
                continue;
            }
            String an;
            if (a.ns().isEmpty()) {
                an = a.local();
            } else if (Ns.XML.equals(a.ns())) {
                an = "xml:" + a.local();
            } else {
                String p = prefixFor(a.ns(), a.prefix(), false);
                if (p == null) {
                    p = declare(f, pieces, a.prefix(), a.ns(), false);
                }
                an = p + ":" + a.local();
            }
            attrPieces.add(an);
            attrPieces.add(a.value());
        }
        for (int i = 0; i < pieces.size(); i += 2) {
            attr(pieces.get(i), pieces.get(i + 1));
        }
        for (int i = 0; i < attrPieces.size(); i += 2) {
            attr(attrPieces.get(i), attrPieces.get(i + 1));
        }
        startPending = true;
        qnames.push(qname);
    }

    void text(String s) {
        Frame f = open.peek();
        closePending();
        if (f != null) {
            f.hasContent = true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> raw("&amp;");
                case '<' -> raw("&lt;");
                case '>' -> raw("&gt;");
                case '\r' -> raw("&#13;");
                default -> {
                    check(c);
                    raw(c);
                }
            }
        }
    }

    void end() {
        Frame f = open.pop();
        String qname = qnames.pop();
        if (startPending) {
            raw("/>");
            startPending = false;
            return;
        }
        if (!f.inline && f.hasContent) {
            raw("\n");
            indent(open.size());
        }
        raw("</");
        raw(qname);
        raw(">");
    }

    void finish() {
        raw("\n");
        try {
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A prefix already bound to {@code ns} in scope, preferring {@code hint}; null when none. */
    private String prefixFor(String ns, String hint, boolean allowDefault) {
        if ((allowDefault || !hint.isEmpty()) && ns.equals(resolve(hint))) {
            return hint;
        }
        for (Frame f : open) {
            for (Map.Entry<String, String> e : f.bindings.entrySet()) {
                String p = e.getKey();
                if (ns.equals(e.getValue()) && (allowDefault || !p.isEmpty()) && ns.equals(resolve(p))) {
                    return p;
                }
            }
        }
        return null;
    }

    private String declare(Frame f, List<String> pieces, String hint, String ns, boolean allowDefault) {
        String p = hint;
        if ((p.isEmpty() && !allowDefault) || (f.bindings.containsKey(p) && !ns.equals(f.bindings.get(p)))) {
            do {
                p = "ns" + (++generated);
            } while (f.bindings.containsKey(p));
        }
        f.bindings.put(p, ns);
        pieces.add(p.isEmpty() ? "xmlns" : "xmlns:" + p);
        pieces.add(ns);
        return p;
    }

    private String resolve(String prefix) {
        for (Frame f : open) {
            String u = f.bindings.get(prefix);
            if (u != null) {
                return u;
            }
        }
        return prefix.isEmpty() ? "" : null;
    }

    private void attr(String name, String value) {
        raw(" ");
        raw(name);
        raw("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> raw("&amp;");
                case '<' -> raw("&lt;");
                case '>' -> raw("&gt;");
                case '"' -> raw("&quot;");
                case '\t' -> raw("&#9;");
                case '\n' -> raw("&#10;");
                case '\r' -> raw("&#13;");
                default -> {
                    check(c);
                    raw(c);
                }
            }
        }
        raw("\"");
    }

    private static void check(char c) {
        if (c < 0x20 && c != '\t' && c != '\n' || c == 0xFFFE || c == 0xFFFF) {
            throw new IllegalArgumentException("character U+" + Integer.toHexString(c) + " cannot appear in XML 1.0");
        }
    }

    private void closePending() {
        if (startPending) {
            raw(">");
            startPending = false;
        }
    }

    private void indent(int level) {
        for (int i = 0; i < level; i++) {
            raw("  ");
        }
    }

    private void raw(String s) {
        try {
            w.write(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void raw(char c) {
        try {
            w.write(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
