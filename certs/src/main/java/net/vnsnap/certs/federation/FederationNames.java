package net.vnsnap.certs.federation;

import java.security.cert.X509Certificate;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;

/** The GENI URN of a certificate the federation works with; one without a URN is a programming or input error. */
final class FederationNames {

    private FederationNames() {
    }

    static GeniUrn urnOf(X509Certificate cert) {
        return GeniCertificate.of(cert).urn().orElseThrow(() -> new IllegalArgumentException(
                "certificate " + cert.getSubjectX500Principal() + " has no GENI URN in its subjectAltName"));
    }
}
