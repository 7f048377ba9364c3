package net.vnsnap.host.driver.xen.net;

import java.io.IOException;

/** One end of a relay that carries whole Ethernet frames: a vif's packet socket, or an in-memory link in tests. */
public interface FrameLink extends AutoCloseable {

    /**
     * Waits a short while for the next frame the guest sent.
     *
     * @return the frame's length in {@code buf}, or 0 when none came within the link's poll interval
     */
    int receive(byte[] buf) throws IOException;

    /**
     * Sends a frame towards the guest.
     *
     * @throws FrameRefusedException when the link cannot take it for the moment (sending it again may work)
     */
    void send(byte[] buf, int len) throws IOException;

    /**
     * Whether the guest can take frames now: a vif's netfront must have connected (after a boot, and after a restored
     * domain runs again); netback drops a frame sent before that.
     */
    default boolean ready() {
        return true;
    }

    /**
     * How many frames sent on this link the hypervisor has taken from dom0's queues since the link was opened (handed
     * to the guest's ring, or dropped there), or -1 when the link cannot tell. Frames sent and not yet taken wait in
     * dom0 and are in no snapshot image.
     */
    default long takenByGuest() {
        return -1;
    }

    /**
     * How many slots of the guest's receive ring hold frames the hypervisor handed over and the guest has not
     * processed, or -1 when the link cannot tell. Meaningful only while the guest is stopped (at a cut).
     */
    default int unconsumedRingSlots() {
        return -1;
    }

    @Override
    void close();
}
