package net.vnsnap.certs.trust;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A path from a certificate to a trusted root that verified, and the window in which every certificate
 * on it is valid.
 */
public record ValidatedChain(List<X509Certificate> path, Instant notBefore, Instant notAfter, long rootsVersion) {

    public ValidatedChain {
        path = List.copyOf(path);
    }

    /** The certificate the chain was built for. */
    public X509Certificate leaf() {
        return path.get(0);
    }

    /** The trusted root the chain ends at. */
    public X509Certificate root() {
        return path.get(path.size() - 1);
    }

    /** True when {@code t} lies inside every certificate's validity. */
    public boolean validAt(Instant t) {
        return !t.isBefore(notBefore) && !t.isAfter(notAfter);
    }
}
