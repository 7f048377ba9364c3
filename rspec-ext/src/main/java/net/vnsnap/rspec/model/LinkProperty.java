package net.vnsnap.rspec.model;

import java.util.List;

/** The unidirectional properties of a link between two interfaces (capacity in kbps, latency in ms, packet_loss as a fraction). */
public record LinkProperty(String sourceId, String destId, String capacity, String latency, String packetLoss, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements LinkPart {

    public LinkProperty {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }
}
