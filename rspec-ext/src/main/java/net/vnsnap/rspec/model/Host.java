package net.vnsnap.rspec.model;

import java.util.List;

/** The DNS name of a provisioned node (manifest only; the PG v2 schema allows no extensions here). */
public record Host(String name, List<XmlAttr> attrs, Pos pos) implements NodePart {

    public Host {
        attrs = Lists.copy(attrs);
        pos = Lists.pos(pos);
    }

    public static Host of(String name) {
        return new Host(name, List.of(), Pos.NONE);
    }
}
