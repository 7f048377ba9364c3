package net.vnsnap.host.vswitch;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable reading of every port plus the drops not attributable to a port (bad tunnel input).
 *
 * @param ports          one entry per port, VM and tunnel
 * @param switchDrops    drops of tunnel datagrams that matched no segment or peer
 * @param poolFree       free slots in the shared hold/record pool
 */
public record SwitchCounters(List<PortCounters> ports, Map<DropReason, Long> switchDrops, int poolFree) {
    public SwitchCounters {
        ports = List.copyOf(ports);
        switchDrops = Map.copyOf(switchDrops);
    }

    public Optional<PortCounters> port(PortId id) {
        return ports.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    /** Frames received on all ports together. */
    public long framesIn() {
        return ports.stream().mapToLong(PortCounters::framesIn).sum();
    }
}
