package net.vnsnap.am.server;

/** The AM daemon's configuration is unreadable, misses a key or has a bad value; the message names key and file. */
public final class AmConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public AmConfigException(String message) {
        super(message);
    }
}
