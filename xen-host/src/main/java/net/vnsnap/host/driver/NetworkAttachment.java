package net.vnsnap.host.driver;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;

/** Where a NIC's Ethernet frames go, independent of the hypervisor's own backend syntax. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = NetworkAttachment.UdpTunnel.class, name = "udp")})
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
}
