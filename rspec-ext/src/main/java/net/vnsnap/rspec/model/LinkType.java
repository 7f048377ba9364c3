package net.vnsnap.rspec.model;

import java.util.List;

/** The kind of a link (link_type@name, e.g. lan, vlan, gre-tunnel). */
public record LinkType(String name, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements LinkPart {

    public LinkType {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static LinkType of(String name) {
        return new LinkType(name, List.of(), List.of(), Pos.NONE);
    }
}
