package net.vnsnap.rspec.snapshot;

import java.time.Duration;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;

/** One VM's part of a slice snapshot: which node, how long it was paused, how many bytes it took. */
public record VmSnapshot(String clientId, String sliverId, Duration downtime, long sizeBytes) {

    public VmSnapshot {
        if (clientId == null || clientId.isEmpty()) {
            throw new IllegalArgumentException("a VM snapshot names its node's client_id");
        }
    }

    AnyElement toElement() {
        return AnyElement.builder(SnapshotNs.NS, SnapshotNs.PREFIX, SnapshotNs.VM).attr("client_id", clientId)
                .attr("sliver_id", sliverId).attr("downtime_ms", downtime == null ? null : Values.ms(downtime))
                .attr("size", sizeBytes).build();
    }

    static VmSnapshot fromElement(AnyElement e) throws RSpecException {
        String id = e.attr("client_id").orElseThrow(() -> RSpecException.at(e.pos(),
                "snapshot vm has no client_id"));
        Long size = Values.integer(e, "size", "");
        return new VmSnapshot(id, e.attr("sliver_id").orElse(null), Values.millis(e, "downtime_ms", ""),
                size == null ? 0 : size);
    }
}
