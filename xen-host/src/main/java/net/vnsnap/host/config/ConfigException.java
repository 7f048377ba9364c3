package net.vnsnap.host.config;

/** The host agent's configuration is missing a key or has a bad value; the message names the key and the file. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
