package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A node of an RSpec (a VM in a request or manifest, a host in an advertisement); children are kept in
 * document order so that extensions are written back where they were.
 */
public record Node(String clientId, String componentId, String componentManagerId, String componentName,
        Boolean exclusive, String sliverId, List<XmlAttr> attrs, List<NodePart> parts, Pos pos) implements RSpecPart {

    public Node {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public Optional<SliverType> sliverType() {
        return Lists.ofType(parts, SliverType.class).stream().findFirst();
    }

    public List<SliverType> sliverTypes() {
        return Lists.ofType(parts, SliverType.class);
    }

    public Optional<HardwareType> hardwareType() {
        return Lists.ofType(parts, HardwareType.class).stream().findFirst();
    }

    public List<Interface> interfaces() {
        return Lists.ofType(parts, Interface.class);
    }

    public Optional<Services> services() {
        return Lists.ofType(parts, Services.class).stream().findFirst();
    }

    public Optional<Location> location() {
        return Lists.ofType(parts, Location.class).stream().findFirst();
    }

    public Optional<Host> host() {
        return Lists.ofType(parts, Host.class).stream().findFirst();
    }

    /** Children this model does not interpret (emulab, jFed, our snapshot element, ...). */
    public List<AnyElement> extensions() {
        return Lists.ofType(parts, AnyElement.class);
    }

    /** The first extension element {@code {ns}local}, if any. */
    public Optional<AnyElement> extension(String ns, String local) {
        return extensions().stream().filter(e -> e.is(ns, local)).findFirst();
    }

    /** A builder holding this node's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder(String clientId) {
        return new Builder(clientId);
    }

    /** Assembles a node; parts keep the order they are added in. */
    public static final class Builder {
        private String clientId;
        private String componentId;
        private String componentManagerId;
        private String componentName;
        private Boolean exclusive;
        private String sliverId;
        private final List<XmlAttr> attrs = new ArrayList<>();
        private final List<NodePart> parts = new ArrayList<>();
        private Pos pos = Pos.NONE;

        private Builder(String clientId) {
            this.clientId = clientId;
        }

        private Builder(Node n) {
            clientId = n.clientId;
            componentId = n.componentId;
            componentManagerId = n.componentManagerId;
            componentName = n.componentName;
            exclusive = n.exclusive;
            sliverId = n.sliverId;
            attrs.addAll(n.attrs);
            parts.addAll(n.parts);
            pos = n.pos;
        }

        public Builder clientId(String v) {
            clientId = v;
            return this;
        }

        public Builder componentId(String v) {
            componentId = v;
            return this;
        }

        public Builder componentManagerId(String v) {
            componentManagerId = v;
            return this;
        }

        public Builder componentName(String v) {
            componentName = v;
            return this;
        }

        public Builder exclusive(Boolean v) {
            exclusive = v;
            return this;
        }

        public Builder sliverId(String v) {
            sliverId = v;
            return this;
        }

        public Builder attr(XmlAttr a) {
            attrs.add(a);
            return this;
        }

        public Builder part(NodePart p) {
            parts.add(p);
            return this;
        }

        public Builder pos(Pos p) {
            pos = p;
            return this;
        }

        /** Replaces every part with the operator's result; a null result drops the part. */
        public Builder mapParts(UnaryOperator<NodePart> op) {
            List<NodePart> out = new ArrayList<>();
            for (NodePart p : parts) {
                NodePart q = op.apply(p);
                if (q != null) {
                    out.add(q);
                }
            }
            parts.clear();
            parts.addAll(out);
            return this;
        }

        /** Puts {@code e} where the first extension {@code {ns}local} was, or appends it when there was none. */
        public Builder replaceExtension(String ns, String local, AnyElement e) {
            for (int i = 0; i < parts.size(); i++) {
                if (parts.get(i) instanceof AnyElement a && a.is(ns, local)) {
                    parts.set(i, e);
                    for (int j = parts.size() - 1; j > i; j--) {
                        if (parts.get(j) instanceof AnyElement b && b.is(ns, local)) {
                            parts.remove(j);
                        }
                    }
                    return this;
                }
            }
            parts.add(e);
            return this;
        }

        public Node build() {
            return new Node(clientId, componentId, componentManagerId, componentName, exclusive, sliverId,
                    attrs, parts, pos);
        }
    }
}
