package net.vnsnap.certs.speaksfor;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialFailure;
import net.vnsnap.certs.credential.Rfc3339;
import net.vnsnap.certs.credential.SignedCredentialDocument;
import net.vnsnap.certs.trust.ChainException;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.trust.ValidatedChain;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import org.w3c.dom.Element;

/**
 * Verifies a geni_abac speaks-for credential: the user, by signing with a key that chains to a trusted
 * root, states {@code U.speaks_for_U <- T} for the tool T that is calling over TLS.
 */
public final class SpeaksForVerifier {

    private static final String ROLE_PREFIX = "speaks_for_";

    private final ChainValidator chains;
    /** "Now" for expiry and certificate validity; injected. */
    private final Clock clock;

    public SpeaksForVerifier(TrustRoots roots, Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.chains = new ChainValidator(roots, clock, true);
    }

    /**
     * Verifies {@code abacXml} for the TLS caller {@code toolChain} (its certificate first) and the
     * {@code geni_speaking_for} option {@code speakingFor}; returns the user on whose behalf the tool acts.
     */
    public SpeaksFor verify(String abacXml, List<X509Certificate> toolChain, GeniUrn speakingFor) throws CredentialException {
        Objects.requireNonNull(speakingFor, "geni_speaking_for");
        if (toolChain == null || toolChain.isEmpty()) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "no caller (tool) certificate was given");
        }
        SignedCredentialDocument doc = SignedCredentialDocument.parse(abacXml);
        if (doc.chain().size() != 1) {
            throw new CredentialException(CredentialFailure.MALFORMED, "a speaks-for credential has no <parent>; this one has "
                    + (doc.chain().size() - 1));
        }
        Element cred = doc.chain().get(0);
        String type = SignedCredentialDocument.childText(cred, "type");
        if (type == null || !type.trim().equals("abac")) {
            throw new CredentialException(CredentialFailure.UNSUPPORTED_TYPE, "a speaks-for credential must be of type abac, not '"
                    + (type == null ? "" : type.trim()) + "'");
        }
        Statement st = Statement.read(cred);

        X509Certificate user = null;
        List<X509Certificate> offered = doc.keyInfoCertificates(cred);
        for (X509Certificate c : offered) {
            if (GeniCertificate.of(c).keyId().equals(st.headKeyId)) {
                user = c;
                break;
            }
        }
        if (user == null) {
            throw new CredentialException(CredentialFailure.UNTRUSTED_SIGNER, "no certificate in the KeyInfo of signature "
                    + doc.signatureName(cred) + " has the keyid " + st.headKeyId + " that the speaks-for statement names");
        }
        GeniCertificate userId = GeniCertificate.of(user);
        doc.verifySignature(cred, user.getPublicKey(), userId.describe());

        List<X509Certificate> others = new ArrayList<>(offered);
        others.remove(user);
        ValidatedChain userChain = validate(user, others, "speaks-for signer (the user)");
        GeniUrn userUrn = userId.urn().orElseThrow(() -> new CredentialException(CredentialFailure.INCONSISTENT,
                "the speaks-for signer's certificate carries no GENI URN"));
        if (!userUrn.equals(speakingFor)) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "speaks-for credential is signed by " + userUrn
                    + ", but geni_speaking_for names " + speakingFor);
        }
        if (!st.role.equals(ROLE_PREFIX + st.headKeyId)) {
            throw new CredentialException(CredentialFailure.INCONSISTENT, "speaks-for statement has role '" + st.role
                    + "'; it must be " + ROLE_PREFIX + st.headKeyId);
        }
        X509Certificate tool = toolChain.get(0);
        String toolKeyId = GeniCertificate.of(tool).keyId();
        if (!toolKeyId.equals(st.tailKeyId)) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "speaks-for credential of " + userUrn
                    + " lets the tool with keyid " + st.tailKeyId + " speak for it, but the caller ("
                    + GeniCertificate.of(tool).describe() + ") has keyid " + toolKeyId);
        }
        validate(tool, toolChain.subList(1, toolChain.size()), "caller (tool) certificate");
        Instant now = clock.instant();
        if (!now.isBefore(st.expires)) {
            throw new CredentialException(CredentialFailure.EXPIRED, "speaks-for credential of " + userUrn + " for tool "
                    + GeniCertificate.of(tool).describe() + " expired at " + st.expires + " (now " + now + ")");
        }
        return new SpeaksFor(userUrn, userChain.path(), tool, st.expires);
    }

    private ValidatedChain validate(X509Certificate leaf, List<X509Certificate> intermediates, String what) throws CredentialException {
        try {
            return chains.validate(leaf, intermediates);
        } catch (ChainException e) {
            CredentialFailure f = switch (e.reason()) {
                case EXPIRED -> CredentialFailure.CERTIFICATE_EXPIRED;
                case NOT_YET_VALID -> CredentialFailure.CERTIFICATE_NOT_YET_VALID;
                case UNTRUSTED, ISSUER_NOT_CA -> CredentialFailure.UNTRUSTED_SIGNER;
            };
            throw new CredentialException(f, what + ": " + e.getMessage(), e);
        }
    }

    /** The RT0 statement {@code head.role <- tail} of an abac credential, with its expiry. */
    private record Statement(String headKeyId, String role, String tailKeyId, Instant expires) {

        static Statement read(Element cred) throws CredentialException {
            String id = SignedCredentialDocument.id(cred);
            Instant expires = Rfc3339.parse(SignedCredentialDocument.childText(cred, "expires"), "<expires> of credential " + id);
            Element abac = need(cred, "abac");
            Element rt0 = need(abac, "rt0");
            Element head = need(rt0, "head");
            String headKey = keyId(need(head, "ABACprincipal"));
            String role = SignedCredentialDocument.childText(head, "role");
            if (role == null || role.isBlank()) {
                throw new CredentialException(CredentialFailure.MALFORMED, "speaks-for <head> has no <role>");
            }
            List<Element> tails = new ArrayList<>();
            for (Element e : SignedCredentialDocument.children(rt0)) {
                if ("tail".equals(e.getLocalName()) && e.getNamespaceURI() == null) {
                    tails.add(e);
                }
            }
            if (tails.size() != 1) {
                throw new CredentialException(CredentialFailure.MALFORMED, "a speaks-for statement needs exactly one <tail>, not "
                        + tails.size());
            }
            Element tail = tails.get(0);
            if (SignedCredentialDocument.child(tail, "role") != null || SignedCredentialDocument.child(tail, "linking_role") != null) {
                throw new CredentialException(CredentialFailure.INCONSISTENT,
                        "a speaks-for <tail> names the tool itself; a role or linking_role there makes it a different statement");
            }
            return new Statement(headKey, role.trim(), keyId(need(tail, "ABACprincipal")), expires);
        }

        private static Element need(Element parent, String local) throws CredentialException {
            Element e = SignedCredentialDocument.child(parent, local);
            if (e == null) {
                throw new CredentialException(CredentialFailure.MALFORMED, "speaks-for credential lacks <" + local + "> in <"
                        + parent.getTagName() + ">");
            }
            return e;
        }

        private static String keyId(Element principal) throws CredentialException {
            String k = SignedCredentialDocument.childText(principal, "keyid");
            if (k == null || k.isBlank()) {
                throw new CredentialException(CredentialFailure.MALFORMED, "an <ABACprincipal> has no <keyid>");
            }
            return k.trim().toLowerCase(java.util.Locale.ROOT).replace(":", "");
        }
    }
}
