package net.vnsnap.certs.federation;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A private key with its certificate chain (the certificate first, then its issuers), as a GENI
 * user, authority, aggregate manager or slice holds it.
 */
public record Identity(PrivateKey key, List<X509Certificate> chain) {

    public Identity {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an identity needs at least its own certificate");
        }
    }

    /** The identity's own certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }
}
