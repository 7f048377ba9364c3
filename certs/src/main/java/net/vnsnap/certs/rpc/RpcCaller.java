package net.vnsnap.certs.rpc;

import java.security.cert.X509Certificate;
import java.util.List;
import net.vnsnap.certs.urn.GeniUrn;

/**
 * Who made an RPC call: the certificate chain the TLS client presented (already validated against the
 * trust roots during the handshake) and the GENI URN of its first certificate.
 */
public record RpcCaller(List<X509Certificate> chain, GeniUrn urn) {
    public RpcCaller {
        chain = List.copyOf(chain);
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }
}
