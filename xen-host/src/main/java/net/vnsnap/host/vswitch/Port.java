package net.vnsnap.host.vswitch;

import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

import net.vnsnap.host.vswitch.frame.SlotQueue;

/** One port's sockets, epoch, buffers and counters; confined to the selector thread, hence no locking. */
final class Port {
    final PortId id;
    final Segment segment;
    /** The port's own socket for a VM port; null for a tunnel peer, which shares the switch's tunnel socket. */
    final DatagramChannel channel;
    /** Where frames for this port go: the VM (re-learned from every datagram) or the remote switch. */
    InetSocketAddress peer;
    int epoch;
    /** Set between prepareRestore and resume: every frame for the VM queues behind the replayed ones. */
    boolean suspended;
    /**
     * Set from just before the VM pauses for its cut until the cut: a frame put into the socket of a paused VM is read
     * only after it resumes, so it would be in neither the image nor the channel state; held here instead, it is
     * recorded at the cut if it is pre-cut.
     */
    boolean pausing;
    /**
     * Set from the cut of a paused VM until it has resumed ({@code endPause}): frames are coloured (and the pre-cut ones
     * recorded) on arrival but wait in {@link #parked}, since a paused VM's socket holds only a few hundred datagrams
     * and the kernel drops the rest without telling anyone.
     */
    boolean awaitingResume;
    /** Post-cut frames waiting for this (pre-cut) receiver, and frames arriving while suspended. */
    final SlotQueue held;
    /** Frames already coloured (and recorded where pre-cut) that only wait for the paused VM to resume. */
    final SlotQueue parked;
    /** Channel state recorded for snapshots, until the snapshot code drains it. */
    final SlotQueue recorded;
    /** Frames to inject first at resume; filled by the control path only, so byte arrays are acceptable. */
    final ArrayDeque<byte[]> replay = new ArrayDeque<>();

    long framesIn;
    long bytesIn;
    long framesOut;
    long bytesOut;
    long heldTotal;
    long released;
    long recordedTotal;
    long recordLost;
    long injected;
    long peerChanges;
    final long[] drops = new long[DropReason.values().length];

    Port(PortId id, Segment segment, DatagramChannel channel, InetSocketAddress peer, int holdLimit,
         int recordLimit) {
        this.id = id;
        this.segment = segment;
        this.channel = channel;
        this.peer = peer;
        this.held = new SlotQueue(holdLimit);
        this.parked = new SlotQueue(holdLimit);
        this.recorded = new SlotQueue(recordLimit);
    }

    boolean isTunnel() {
        return channel == null;
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    PortCounters counters() {
        return new PortCounters(id, isTunnel(), epoch, peer, framesIn, bytesIn, framesOut, bytesOut, held.size() + parked.size(),
                heldTotal, released, recorded.size(), recordedTotal, recordLost, injected, peerChanges,
                dropMap(drops));
    }

    static Map<DropReason, Long> dropMap(long[] drops) {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            if (drops[r.ordinal()] != 0) {
                m.put(r, drops[r.ordinal()]);
            }
        }
        return m;
    }
}
