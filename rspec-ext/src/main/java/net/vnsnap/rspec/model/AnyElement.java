package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An element the core model does not interpret (any extension, or an unmodelled GENI element such as
 * {@code relation}), held as a small immutable tree of AnyElement and String (text) items so it
 * survives a read-modify-write unchanged.
 */
public record AnyElement(String ns, String prefix, String local, List<XmlAttr> attrs, List<Object> content, Pos pos)
        implements RSpecPart, NodePart, SliverTypePart, InterfacePart, ServicesPart, LinkPart {

    public AnyElement {
        ns = ns == null ? "" : ns;
        prefix = prefix == null ? "" : prefix;
        Objects.requireNonNull(local, "local");
        attrs = List.copyOf(attrs);
        content = List.copyOf(content);
        for (Object o : content) {
            if (!(o instanceof AnyElement) && !(o instanceof String)) {
                throw new IllegalArgumentException("content must be AnyElement or String, not " + o.getClass());
            }
        }
        pos = pos == null ? Pos.NONE : pos;
    }

    public boolean is(String namespace, String name) {
        return ns.equals(namespace) && local.equals(name);
    }

    /** The value of the attribute {@code name} without namespace, if present. */
    public Optional<String> attr(String name) {
        for (XmlAttr a : attrs) {
            if (a.ns().isEmpty() && a.local().equals(name)) {
                return Optional.of(a.value());
            }
        }
        return Optional.empty();
    }

    /** The child elements, in document order. */
    public List<AnyElement> children() {
        List<AnyElement> out = new ArrayList<>();
        for (Object o : content) {
            if (o instanceof AnyElement e) {
                out.add(e);
            }
        }
        return out;
    }

    /** The concatenated text content directly inside this element. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (Object o : content) {
            if (o instanceof String s) {
                b.append(s);
            }
        }
        return b.toString();
    }

    /** A builder for elements made in code (extension writers). */
    public static Builder builder(String ns, String prefix, String local) {
        return new Builder(ns, prefix, local);
    }

    /** Collects attributes and content for a new element. */
    public static final class Builder {
        private final String ns;
        private final String prefix;
        private final String local;
        private final List<XmlAttr> attrs = new ArrayList<>();
        private final List<Object> content = new ArrayList<>();

        private Builder(String ns, String prefix, String local) {
            this.ns = ns;
            this.prefix = prefix;
            this.local = local;
        }

        /** Adds an un-namespaced attribute; a null value adds nothing, so optional fields stay absent. */
        public Builder attr(String name, Object value) {
            if (value != null) {
                attrs.add(XmlAttr.plain(name, value.toString()));
            }
            return this;
        }

        public Builder attr(XmlAttr a) {
            attrs.add(a);
            return this;
        }

        public Builder child(AnyElement e) {
            content.add(e);
            return this;
        }

        public Builder text(String t) {
            if (t != null && !t.isEmpty()) {
                content.add(t);
            }
            return this;
        }

        public AnyElement build() {
            return new AnyElement(ns, prefix, local, attrs, content, Pos.NONE);
        }
    }
}
