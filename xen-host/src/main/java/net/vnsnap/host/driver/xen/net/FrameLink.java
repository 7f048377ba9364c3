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

    /** Sends a frame towards the guest. */
    void send(byte[] buf, int len) throws IOException;

    @Override
    void close();
}
