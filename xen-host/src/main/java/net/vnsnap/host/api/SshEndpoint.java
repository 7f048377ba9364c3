package net.vnsnap.host.api;

import java.util.Objects;

/**
 * Where experimenters reach a VM's SSH server: an address of the host and the TCP port forwarded to the guest.
 *
 * @param host the host name or address experimenters connect to (the agent's {@code ssh.address})
 * @param port the host TCP port forwarded to the guest's port 22
 */
public record SshEndpoint(String host, int port) {
    public SshEndpoint {
        Objects.requireNonNull(host, "host");
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad SSH endpoint " + host + ":" + port);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
