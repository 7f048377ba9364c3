package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;

/** A network interface of a node, named by client_id and referred to by links' interface_refs. */
public record Interface(String clientId, String componentId, String sliverId, String macAddress,
        List<XmlAttr> attrs, List<InterfacePart> parts, Pos pos) implements NodePart {

    public Interface {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public static Interface of(String clientId, Ip ip) {
        return new Interface(clientId, null, null, null, List.of(), ip == null ? List.of() : List.of(ip), Pos.NONE);
    }

    public List<Ip> ips() {
        return Lists.ofType(parts, Ip.class);
    }

    /** A copy as the manifest shows it: with sliver id, MAC address and, when given, an IP added. */
    public Interface provisioned(String newSliverId, String mac, Ip addIp) {
        List<InterfacePart> p = new ArrayList<>(parts);
        if (addIp != null && ips().isEmpty()) {
            p.add(0, addIp);
        }
        return new Interface(clientId, componentId, newSliverId != null ? newSliverId : sliverId,
                mac != null ? mac : macAddress, attrs, p, pos);
    }
}
