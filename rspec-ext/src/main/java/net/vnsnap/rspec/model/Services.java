package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;

/** A node's services: logins, plus install/execute and extensions kept as they were. */
public record Services(List<XmlAttr> attrs, List<ServicesPart> parts, Pos pos) implements NodePart {

    public Services {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public List<Login> logins() {
        return Lists.ofType(parts, Login.class);
    }

    /** A copy with the given logins appended after the existing content. */
    public Services withLogins(List<Login> logins) {
        List<ServicesPart> p = new ArrayList<>(parts);
        p.addAll(logins);
        return new Services(attrs, p, pos);
    }
}
