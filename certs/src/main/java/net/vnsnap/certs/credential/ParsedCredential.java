package net.vnsnap.certs.credential;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;
import org.w3c.dom.Element;

/** The fields of one privilege {@code credential} element, read but not yet trusted. */
record ParsedCredential(Element element, String id, List<X509Certificate> ownerChain, GeniUrn ownerUrn,
        List<X509Certificate> targetChain, GeniUrn targetUrn, Instant expires, List<Privilege> privileges) {

    X509Certificate owner() {
        return ownerChain.get(0);
    }

    X509Certificate target() {
        return targetChain.get(0);
    }

    /** "slice urn:...+slice+s1": how messages name what the credential is for. */
    String describeTarget() {
        return targetUrn.type().toLowerCase(Locale.ROOT) + " " + targetUrn;
    }

    /** Reads the fields; {@code gids} (null for none) caches parsed gid PEM texts across calls. */
    static ParsedCredential read(Element el, Map<String, List<X509Certificate>> gids) throws CredentialException {
        String id = SignedCredentialDocument.id(el);
        String type = SignedCredentialDocument.childText(el, "type");
        if (type == null) {
            throw new CredentialException(CredentialFailure.MALFORMED, "credential " + id + " has no <type>");
        }
        if (!type.trim().equals("privilege")) {
            throw new CredentialException(CredentialFailure.UNSUPPORTED_TYPE, "credential " + id + " is of type '" + type.trim()
                    + "'; only privilege credentials are accepted here (speaks-for credentials are geni_abac)");
        }
        List<X509Certificate> owner = gid(el, id, "owner_gid", gids);
        List<X509Certificate> target = gid(el, id, "target_gid", gids);
        GeniUrn ownerUrn = urn(el, id, "owner_urn", owner.get(0));
        GeniUrn targetUrn = urn(el, id, "target_urn", target.get(0));
        Instant expires = Rfc3339.parse(SignedCredentialDocument.childText(el, "expires"), "<expires> of credential " + id);
        Element privs = SignedCredentialDocument.child(el, "privileges");
        if (privs == null) {
            throw new CredentialException(CredentialFailure.MALFORMED, "credential " + id + " has no <privileges>");
        }
        List<Privilege> list = new ArrayList<>();
        for (Element p : SignedCredentialDocument.children(privs)) {
            if (!SignedCredentialDocument.isPlain(p, "privilege")) {
                throw new CredentialException(CredentialFailure.MALFORMED, "unexpected <" + p.getTagName() + "> in <privileges> of credential " + id);
            }
            String name = SignedCredentialDocument.childText(p, "name");
            if (name == null || name.isBlank()) {
                throw new CredentialException(CredentialFailure.MALFORMED, "a <privilege> of credential " + id + " has no <name>");
            }
            String del = SignedCredentialDocument.childText(p, "can_delegate");
            boolean canDelegate;
            String d = del == null ? "false" : del.trim();
            if (d.equals("true") || d.equals("1")) {
                canDelegate = true;
            } else if (d.equals("false") || d.equals("0")) {
                canDelegate = false;
            } else {
                throw new CredentialException(CredentialFailure.MALFORMED, "<can_delegate> of privilege " + name.trim()
                        + " in credential " + id + " is '" + d + "', not true or false");
            }
            list.add(new Privilege(name, canDelegate));
        }
        return new ParsedCredential(el, id, owner, ownerUrn, target, targetUrn, expires, list);
    }

    private static List<X509Certificate> gid(Element el, String id, String field, Map<String, List<X509Certificate>> gids)
            throws CredentialException {
        String pem = SignedCredentialDocument.childText(el, field);
        if (pem == null || pem.isBlank()) {
            throw new CredentialException(CredentialFailure.MALFORMED, "credential " + id + " has no " + field + " certificate");
        }
        List<X509Certificate> hit = gids == null ? null : gids.get(pem);
        if (hit != null) {
            return hit;
        }
        try {
            List<X509Certificate> certs = List.copyOf(GeniCertificate.readChain(pem));
            if (gids != null) {
                if (gids.size() >= CredentialVerifier.MAX_CACHED_GIDS) {
                    gids.clear();
                }
                gids.put(pem, certs);
            }
            return certs;
        } catch (CertificateReadException e) {
            throw new CredentialException(CredentialFailure.MALFORMED, field + " of credential " + id + " is unreadable: "
                    + e.getMessage(), e);
        }
    }

    /** The stated URN, or the certificate's when the element is absent; consistency is checked after the signature. */
    private static GeniUrn urn(Element el, String id, String field, X509Certificate cert) throws CredentialException {
        String text = SignedCredentialDocument.childText(el, field);
        if (text == null || text.isBlank()) {
            return GeniCertificate.of(cert).urn().orElseThrow(() -> new CredentialException(CredentialFailure.INCONSISTENT,
                    "credential " + id + " has no " + field + " and its certificate carries no GENI URN"));
        }
        try {
            return GeniUrn.parse(text.trim());
        } catch (InvalidUrnException e) {
            throw new CredentialException(CredentialFailure.MALFORMED, field + " of credential " + id + " is invalid: " + e.getMessage(), e);
        }
    }

    /** After the signature verified: owner_urn and target_urn must name the certificates beside them. */
    void checkUrnsMatchCertificates() throws CredentialException {
        match("owner", ownerUrn, owner());
        match("target", targetUrn, target());
    }

    private void match(String role, GeniUrn stated, X509Certificate cert) throws CredentialException {
        GeniUrn fromCert = GeniCertificate.of(cert).urn().orElseThrow(() -> new CredentialException(CredentialFailure.INCONSISTENT,
                "the " + role + "_gid certificate of credential " + id + " (" + cert.getSubjectX500Principal().getName()
                        + ") has no GENI URN in its subjectAltName"));
        if (!stated.equals(fromCert)) {
            throw new CredentialException(CredentialFailure.INCONSISTENT, role + "_urn " + stated + " of credential " + id
                    + " does not match the URN " + fromCert + " of its " + role + "_gid certificate");
        }
    }
}
