package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A whole RSpec document: the root's known attributes, every other root attribute (namespace
 * declarations, xsi:schemaLocation, extensions) and the children in document order.
 */
public record RSpec(RSpecType type, String generated, String generatedBy, String expires,
        List<XmlAttr> attrs, List<RSpecPart> parts, Pos pos) {

    public RSpec {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public List<Node> nodes() {
        return Lists.ofType(parts, Node.class);
    }

    public List<Link> links() {
        return Lists.ofType(parts, Link.class);
    }

    /** Root-level elements this model does not interpret (opstate, our slice snapshot list, ...). */
    public List<AnyElement> extensions() {
        return Lists.ofType(parts, AnyElement.class);
    }

    public Optional<AnyElement> extension(String ns, String local) {
        return extensions().stream().filter(e -> e.is(ns, local)).findFirst();
    }

    public Optional<Node> node(String clientId) {
        return nodes().stream().filter(n -> clientId.equals(n.clientId())).findFirst();
    }

    /** The value of a root attribute {@code {ns}local}, if present. */
    public Optional<String> attr(String ns, String local) {
        return attrs.stream().filter(a -> a.is(ns, local)).map(XmlAttr::value).findFirst();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder(RSpecType type) {
        return new Builder(type);
    }

    /** Assembles an RSpec; parts keep the order they are added in. */
    public static final class Builder {
        private RSpecType type;
        private String generated;
        private String generatedBy;
        private String expires;
        private final List<XmlAttr> attrs = new ArrayList<>();
        private final List<RSpecPart> parts = new ArrayList<>();
        private Pos pos = Pos.NONE;

        private Builder(RSpecType type) {
            this.type = type;
        }

        private Builder(RSpec r) {
            type = r.type;
            generated = r.generated;
            generatedBy = r.generatedBy;
            expires = r.expires;
            attrs.addAll(r.attrs);
            parts.addAll(r.parts);
            pos = r.pos;
        }

        public Builder type(RSpecType v) {
            type = v;
            return this;
        }

        public Builder generated(String v) {
            generated = v;
            return this;
        }

        public Builder generatedBy(String v) {
            generatedBy = v;
            return this;
        }

        public Builder expires(String v) {
            expires = v;
            return this;
        }

        public Builder attr(XmlAttr a) {
            attrs.add(a);
            return this;
        }

        /** Drops every root attribute {@code {ns}local}. */
        public Builder removeAttr(String ns, String local) {
            attrs.removeIf(a -> a.is(ns, local));
            return this;
        }

        /** Sets (replacing) a root attribute. */
        public Builder setAttr(XmlAttr a) {
            removeAttr(a.ns(), a.local());
            attrs.add(a);
            return this;
        }

        /** Declares {@code prefix} for {@code uri} on the root unless some declaration of that prefix exists. */
        public Builder declare(String prefix, String uri) {
            for (XmlAttr a : attrs) {
                if (a.isNsDecl() && a.declaredPrefix().equals(prefix == null ? "" : prefix)) {
                    return this;
                }
            }
            attrs.add(XmlAttr.nsDecl(prefix, uri));
            return this;
        }

        public List<XmlAttr> attrs() {
            return attrs;
        }

        public Builder part(RSpecPart p) {
            parts.add(p);
            return this;
        }

        /** The parts collected so far, modifiable, for callers that rewrite them in place. */
        public List<RSpecPart> parts() {
            return parts;
        }

        public Builder pos(Pos p) {
            pos = p;
            return this;
        }

        public RSpec build() {
            if (type == null) {
                throw new IllegalStateException("an RSpec needs a type");
            }
            return new RSpec(type, generated, generatedBy, expires, attrs, parts, pos);
        }
    }
}
