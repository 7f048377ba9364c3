package net.vnsnap.host.driver;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;

/** Where a NIC's Ethernet frames go, independent of the hypervisor's own backend syntax. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = NetworkAttachment.UdpTunnel.class, name = "udp"),
        @JsonSubTypes.Type(value = NetworkAttachment.HostForward.class, name = "hostfwd")})
public sealed interface NetworkAttachment {

    /**
     * One Ethernet frame per UDP datagram between a local address the VM's backend binds and a remote
     * address: a virtual switch port, or another VM's tunnel for a direct point-to-point link.
     */
    record UdpTunnel(String localHost, int localPort, String remoteHost, int remotePort) implements NetworkAttachment {
        public UdpTunnel {
            Objects.requireNonNull(localHost, "localHost");
            Objects.requireNonNull(remoteHost, "remoteHost");
            if (localPort < 1 || localPort > 65535 || remotePort < 1 || remotePort > 65535) {
                throw new IllegalArgumentException("UDP ports must be 1..65535");
            }
        }

        /** The two ends of a direct link between two VMs on this host, on ports p and p+1. */
        public static UdpTunnel[] directPair(int basePort) {
            return new UdpTunnel[] {new UdpTunnel("127.0.0.1", basePort, "127.0.0.1", basePort + 1),
                    new UdpTunnel("127.0.0.1", basePort + 1, "127.0.0.1", basePort)};
        }
    }

    /**
     * A control NIC: a private network to the host only (QEMU user-mode networking, nothing routed out), with
     * one TCP port on the host forwarded to a guest port, e.g. experimenter SSH. The guest configures it by
     * DHCP. A restore may give it a different host port: the device model does not depend on it.
     *
     * @param hostAddress the host address to listen on, e.g. 127.0.0.1 behind a gateway
     * @param hostPort    the host TCP port
     * @param guestPort   the guest TCP port (22 for SSH)
     */
    record HostForward(String hostAddress, int hostPort, int guestPort) implements NetworkAttachment {
        public HostForward {
            Objects.requireNonNull(hostAddress, "hostAddress");
            if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
                throw new IllegalArgumentException("forwarded ports must be 1..65535");
            }
            if (!hostAddress.matches("[0-9A-Za-z.-]+")) {
                throw new IllegalArgumentException("bad host address " + hostAddress);
            }
        }

        /** A forward from the host's loopback address. */
        public HostForward(int hostPort, int guestPort) {
            this("127.0.0.1", hostPort, guestPort);
        }

        public HostForward withHostPort(int port) {
            return new HostForward(hostAddress, port, guestPort);
        }
    }
}
