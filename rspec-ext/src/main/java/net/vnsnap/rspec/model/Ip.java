package net.vnsnap.rspec.model;

import java.util.List;

/** An interface's IP address; netmask and type ("ipv4", "ipv6") are optional. */
public record Ip(String address, String netmask, String type, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements InterfacePart {

    public Ip {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static Ip of(String address, String netmask, String type) {
        return new Ip(address, netmask, type, List.of(), List.of(), Pos.NONE);
    }
}
