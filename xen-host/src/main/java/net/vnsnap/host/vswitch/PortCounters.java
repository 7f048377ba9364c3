package net.vnsnap.host.vswitch;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * An immutable reading of one port's state and counters, taken on the selector thread so the figures agree.
 *
 * @param id              the port
 * @param tunnel          whether this is a tunnel peer rather than a VM port
 * @param epoch           the port's snapshot epoch (tunnel ports: 0, their frames carry epochs in the header)
 * @param peer            the learned or configured VM (or remote switch) address, or null
 * @param framesIn        datagrams received from the VM or tunnel peer
 * @param bytesIn         Ethernet bytes received (tunnel header excluded)
 * @param framesOut       frames sent to the VM or tunnel peer
 * @param bytesOut        Ethernet bytes sent
 * @param heldNow         frames currently waiting in the hold buffer
 * @param heldTotal       frames ever put in the hold buffer
 * @param released        held frames later delivered
 * @param recordedNow     recorded frames not yet drained
 * @param recordedTotal   frames ever recorded as channel state
 * @param recordLost      frames delivered but not recorded because the record buffer or pool was full
 * @param injected        recorded frames replayed into the VM at restore
 * @param peerChanges     times the VM's address changed (re-learned)
 * @param drops           drops by reason (only non-zero reasons present)
 */
public record PortCounters(PortId id, boolean tunnel, int epoch, InetSocketAddress peer,
                           long framesIn, long bytesIn, long framesOut, long bytesOut,
                           int heldNow, long heldTotal, long released, int recordedNow, long recordedTotal,
                           long recordLost, long injected, long peerChanges, Map<DropReason, Long> drops) {
    public PortCounters {
        drops = Map.copyOf(drops);
    }

    /** Drops for one reason. */
    public long dropped(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** Drops for every reason. */
    public long droppedTotal() {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }
}
