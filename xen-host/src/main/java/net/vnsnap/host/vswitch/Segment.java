package net.vnsnap.host.vswitch;

import java.net.InetSocketAddress;
import java.util.Arrays;

import net.vnsnap.host.vswitch.learn.MacTable;

/** One L2 broadcast domain: its ports, tunnel peers and learned addresses; confined to the selector thread. */
final class Segment {
    final SegmentId id;
    /** 24-bit id carried in the tunnel header; every host of the link must use the same one. */
    final int vni;
    final ColourPolicy policy;
    final MacTable<Port> macs;
    /** Every port, VM and tunnel, as an array so flooding iterates without an iterator object. */
    Port[] ports = new Port[0];

    Segment(SegmentId id, int vni, ColourPolicy policy, MacTable<Port> macs) {
        this.id = id;
        this.vni = vni;
        this.policy = policy;
        this.macs = macs;
    }

    void add(Port p) {
        ports = Arrays.copyOf(ports, ports.length + 1);
        ports[ports.length - 1] = p;
    }

    void remove(Port p) {
        ports = Arrays.stream(ports).filter(q -> q != p).toArray(Port[]::new);
        macs.removePort(p);
    }

    /** The tunnel peer port whose remote address is {@code from}, or null. */
    Port tunnelFrom(InetSocketAddress from) {
        for (Port p : ports) {
            if (p.isTunnel() && p.peer.equals(from)) {
                return p;
            }
        }
        return null;
    }
}
