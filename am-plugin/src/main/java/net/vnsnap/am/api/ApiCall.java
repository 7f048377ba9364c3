package net.vnsnap.am.api;

import java.util.List;
import net.vnsnap.certs.credential.CredentialEnvelope;
import net.vnsnap.certs.rpc.RpcCaller;

/** What every authenticated AM API call brings: the TLS caller, its credentials, its options. */
public record ApiCall(RpcCaller caller, List<CredentialEnvelope> credentials, Options options) {
    public ApiCall {
        credentials = List.copyOf(credentials);
    }
}
