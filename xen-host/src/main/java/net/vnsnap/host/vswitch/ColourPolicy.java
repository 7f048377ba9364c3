package net.vnsnap.host.vswitch;

/** What a segment does with frames whose sender and receiver are on different sides of a snapshot cut. */
public enum ColourPolicy {
    /**
     * Post-cut frames to a pre-cut receiver wait in the receiver's hold buffer until its cut; pre-cut frames
     * reaching a post-cut receiver are delivered and recorded as the snapshot's channel state.
     */
    HOLD_AND_RECORD,
    /** VNsnap's original rule: post-cut frames to a pre-cut receiver are dropped; nothing is recorded. */
    DROP,
    /** Colouring off: every frame is delivered at once (negative control). */
    NONE
}
