package net.vnsnap.host.driver.xen.net;

import java.io.IOException;

/** The link refused a frame for the moment (a full device queue: ENOBUFS or EAGAIN); sending it again may work. */
public final class FrameRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public FrameRefusedException(String message) {
        super(message);
    }
}
