package net.vnsnap.host.vswitch;

/** Why the switch discarded a frame; each port (and the switch, for tunnel input) counts them separately. */
public enum DropReason {
    /** Shorter than an Ethernet header. */
    RUNT,
    /** Longer than the configured maximum frame. */
    OVERSIZE,
    /** The destination was learned on the ingress port itself, or a tunnel frame would go back into a tunnel. */
    FILTERED,
    /** The port has not yet learned its VM's address and none was configured. */
    NO_PEER,
    /** The port's hold buffer was full when a post-cut frame arrived for its pre-cut VM. */
    HOLD_OVERFLOW,
    /** The shared frame pool had no free slot. */
    POOL_EXHAUSTED,
    /** Policy DROP: a post-cut frame reached a pre-cut receiver. */
    COLOUR,
    /** The kernel's socket send buffer was full. */
    TX_FULL,
    /** The socket send failed. */
    TX_ERROR,
    /**
     * Frames still held for a port when it was restored to a snapshot, or held while it was suspended and coloured
     * below its restored epoch, belong to the discarded run.
     */
    RESTORE_DISCARD,
    /** Tunnel datagram without the VXLAN I flag or shorter than header plus Ethernet header. */
    BAD_HEADER,
    /** Tunnel datagram for a VNI this switch does not carry. */
    UNKNOWN_VNI,
    /** Tunnel datagram from an address that is not a tunnel peer of its segment. */
    UNKNOWN_PEER
}
