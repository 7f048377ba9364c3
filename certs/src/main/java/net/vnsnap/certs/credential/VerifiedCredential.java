package net.vnsnap.certs.credential;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.urn.GeniUrn;

/**
 * A credential that passed every check: who holds it, what it is for, until when, and what it allows.
 *
 * @param chainDepth 1 for a credential issued directly by an authority, 2 for one delegation, and so on
 * @param issuer the authority certificate that signed the root of the chain
 */
public record VerifiedCredential(GeniUrn owner, X509Certificate ownerCertificate, GeniUrn target, Instant expires,
        List<Privilege> privileges, Set<AmOperation> operations, int chainDepth, X509Certificate issuer) {

    public VerifiedCredential {
        privileges = List.copyOf(privileges);
        operations = Set.copyOf(operations);
    }

    /** True when the credential's privileges allow {@code op}. */
    public boolean allows(AmOperation op) {
        return operations.contains(op);
    }
}
