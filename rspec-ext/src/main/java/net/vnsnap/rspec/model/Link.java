package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** A link or LAN between node interfaces; children are kept in document order. */
public record Link(String clientId, String componentId, String sliverId, String vlantag,
        List<XmlAttr> attrs, List<LinkPart> parts, Pos pos) implements RSpecPart {

    public Link {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public List<InterfaceRef> interfaceRefs() {
        return Lists.ofType(parts, InterfaceRef.class);
    }

    public List<ComponentManager> componentManagers() {
        return Lists.ofType(parts, ComponentManager.class);
    }

    public List<LinkProperty> properties() {
        return Lists.ofType(parts, LinkProperty.class);
    }

    public Optional<LinkType> linkType() {
        return Lists.ofType(parts, LinkType.class).stream().findFirst();
    }

    public List<AnyElement> extensions() {
        return Lists.ofType(parts, AnyElement.class);
    }

    public static Link of(String clientId, List<LinkPart> parts) {
        return new Link(clientId, null, null, null, List.of(), parts, Pos.NONE);
    }

    /** A copy as the manifest shows it: sliver id and VLAN tag set, parts rewritten by {@code op}. */
    public Link provisioned(String newSliverId, String newVlantag, UnaryOperator<LinkPart> op) {
        List<LinkPart> p = new ArrayList<>();
        for (LinkPart x : parts) {
            p.add(op.apply(x));
        }
        return new Link(clientId, componentId, newSliverId != null ? newSliverId : sliverId,
                newVlantag != null ? newVlantag : vlantag, attrs, p, pos);
    }

    /** A copy with one more part appended. */
    public Link withPart(LinkPart extra) {
        List<LinkPart> p = new ArrayList<>(parts);
        p.add(extra);
        return new Link(clientId, componentId, sliverId, vlantag, attrs, p, pos);
    }
}
