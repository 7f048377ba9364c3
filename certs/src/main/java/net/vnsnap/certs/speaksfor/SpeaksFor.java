package net.vnsnap.certs.speaksfor;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import net.vnsnap.certs.urn.GeniUrn;

/**
 * A verified speaks-for statement: the tool (the TLS caller) acts for the user until {@code expires}.
 *
 * @param userChain the user's certificate first, then its issuers up to the trusted root: the effective caller
 */
public record SpeaksFor(GeniUrn user, List<X509Certificate> userChain, X509Certificate tool, Instant expires) {
    public SpeaksFor {
        userChain = List.copyOf(userChain);
    }
}
