package net.vnsnap.rspec.model;

import java.util.List;

/** A node's geographic location (location@country, latitude, longitude). */
public record Location(String country, String latitude, String longitude, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements NodePart {

    public Location {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static Location of(String country, String latitude, String longitude) {
        return new Location(country, latitude, longitude, List.of(), List.of(), Pos.NONE);
    }
}
