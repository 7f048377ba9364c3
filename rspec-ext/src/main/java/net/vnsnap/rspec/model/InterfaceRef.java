package net.vnsnap.rspec.model;

import java.util.List;

/** One end of a link: a reference to an interface by its client_id. */
public record InterfaceRef(String clientId, String componentId, String sliverId, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements LinkPart {

    public InterfaceRef {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static InterfaceRef of(String clientId) {
        return new InterfaceRef(clientId, null, null, List.of(), List.of(), Pos.NONE);
    }

    public InterfaceRef withSliverId(String id) {
        return new InterfaceRef(clientId, componentId, id, attrs, ext, pos);
    }
}
