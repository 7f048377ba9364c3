package net.vnsnap.certs.federation;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;

/** Reads the GENI URN out of a certificate this federation issued (subjectAltName URI). */
final class FederationNames {

    /** GeneralName tag of a URI in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int URI_TAG = 6;

    private FederationNames() {
    }

    static GeniUrn urnOf(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (((Integer) san.get(0)) == URI_TAG && san.get(1) instanceof String s
                            && s.regionMatches(true, 0, GeniUrn.PREFIX, 0, GeniUrn.PREFIX.length())) {
                        return GeniUrn.parse(s);
                    }
                }
            }
        } catch (CertificateParsingException | InvalidUrnException e) {
            throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal() + " has no valid GENI URN", e);
        }
        throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal() + " has no GENI URN in its subjectAltName");
    }
}
