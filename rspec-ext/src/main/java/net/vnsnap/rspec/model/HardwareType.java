package net.vnsnap.rspec.model;

import java.util.List;

/** The hardware a node runs on (hardware_type@name). */
public record HardwareType(String name, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements NodePart {

    public HardwareType {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static HardwareType of(String name) {
        return new HardwareType(name, List.of(), List.of(), Pos.NONE);
    }
}
