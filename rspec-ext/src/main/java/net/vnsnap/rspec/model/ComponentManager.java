package net.vnsnap.rspec.model;

import java.util.List;

/** An aggregate a link spans (link/component_manager@name, the AM's URN). */
public record ComponentManager(String name, List<XmlAttr> attrs, Pos pos) implements LinkPart {

    public ComponentManager {
        attrs = Lists.copy(attrs);
        pos = Lists.pos(pos);
    }

    public static ComponentManager of(String name) {
        return new ComponentManager(name, List.of(), Pos.NONE);
    }
}
