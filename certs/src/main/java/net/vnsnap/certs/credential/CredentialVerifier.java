package net.vnsnap.certs.credential;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import net.vnsnap.certs.trust.ChainException;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.trust.ValidatedChain;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import org.w3c.dom.Element;

/**
 * Verifies a geni_sfa privilege credential and its delegation chain against the trust roots at the
 * clock's time, then checks it against the caller, the target and the operations the call needs.
 */
public final class CredentialVerifier {

    /** Parsed gid texts kept before that cache is emptied; bounds memory against a flood of distinct certificates. */
    static final int MAX_CACHED_GIDS = 4096;

    private final ChainValidator chains;
    /** "Now" for expiry and certificate validity; injected so tests and the AM agree on it. */
    private final Clock clock;
    /**
     * Parsed gid PEM texts: the same few certificates arrive on every call. Null when caching is off, because the
     * JDK remembers signature checks per certificate object and reusing objects would cache chains by the back door.
     */
    private final Map<String, List<X509Certificate>> gids;

    public CredentialVerifier(TrustRoots roots, Clock clock) {
        this(roots, clock, true);
    }

    /**
     * As above; {@code caching} false parses every certificate and verifies every chain on every call
     * (the benchmark's baseline).
     */
    public CredentialVerifier(TrustRoots roots, Clock clock, boolean caching) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.chains = new ChainValidator(roots, clock, caching);
        this.gids = caching ? new ConcurrentHashMap<>() : null;
    }

    /**
     * Verifies {@code credentialXml}.
     *
     * @param callerChain the TLS client certificate first, then any intermediates; null skips the caller check
     * @param expectedTarget the slice (or other object) the call is about; null skips the target check
     * @param needed operations the call performs; each must be allowed by the credential's privileges
     */
    public VerifiedCredential verify(String credentialXml, List<X509Certificate> callerChain, GeniUrn expectedTarget,
            Set<AmOperation> needed) throws CredentialException {
        SignedCredentialDocument doc = SignedCredentialDocument.parse(credentialXml);
        List<Element> chain = doc.chain();
        List<ParsedCredential> creds = new ArrayList<>(chain.size());
        for (Element e : chain) {
            creds.add(ParsedCredential.read(e, gids));
        }
        Instant now = clock.instant();
        X509Certificate issuer = null;
        for (int i = creds.size() - 1; i >= 0; i--) {
            ParsedCredential c = creds.get(i);
            if (i == creds.size() - 1) {
                issuer = rootSigner(doc, c);
                doc.verifySignature(c.element(), issuer.getPublicKey(), GeniCertificate.of(issuer).describe());
            } else {
                ParsedCredential parent = creds.get(i + 1);
                doc.verifySignature(c.element(), parent.owner().getPublicKey(), "the parent's owner " + parent.ownerUrn());
                checkDelegation(parent, c);
            }
            c.checkUrnsMatchCertificates();
            trusted(c.owner(), c.ownerChain(), "owner_gid of credential " + c.id());
            trusted(c.target(), c.targetChain(), "target_gid of credential " + c.id());
            if (!now.isBefore(c.expires())) {
                throw new CredentialException(CredentialFailure.EXPIRED, "credential for " + c.describeTarget()
                        + (i == 0 ? "" : " (delegated by " + c.ownerUrn() + ")") + " expired at " + c.expires()
                        + " (now " + now + ")");
            }
        }
        ParsedCredential top = creds.get(0);
        if (callerChain != null) {
            checkCaller(top, callerChain);
        }
        if (expectedTarget != null && !expectedTarget.equals(top.targetUrn())) {
            throw new CredentialException(CredentialFailure.TARGET_MISMATCH, "credential is for " + top.describeTarget()
                    + ", not for " + expectedTarget);
        }
        Set<AmOperation> granted = Rights.operations(top.privileges());
        if (needed != null && !needed.isEmpty()) {
            Set<AmOperation> missing = EnumSet.copyOf(needed);
            missing.removeAll(granted);
            if (!missing.isEmpty()) {
                TreeSet<String> names = new TreeSet<>();
                missing.forEach(m -> names.add(m.tableName()));
                TreeSet<String> held = new TreeSet<>();
                top.privileges().forEach(p -> held.add(p.name()));
                throw new CredentialException(CredentialFailure.FORBIDDEN, "credential for " + top.describeTarget()
                        + " does not allow " + String.join(", ", names) + ": it grants only " + held);
            }
        }
        return new VerifiedCredential(top.ownerUrn(), top.owner(), top.targetUrn(), top.expires(), top.privileges(), granted,
                creds.size(), issuer);
    }

    /**
     * The certificate that signed the root of the chain: the first KeyInfo certificate that belongs to an
     * authority over the target (or issued the target's certificate) and chains to a trusted root.
     */
    private X509Certificate rootSigner(SignedCredentialDocument doc, ParsedCredential c) throws CredentialException {
        List<X509Certificate> offered = doc.keyInfoCertificates(c.element());
        String sig = doc.signatureName(c.element());
        if (offered.isEmpty()) {
            throw new CredentialException(CredentialFailure.UNTRUSTED_SIGNER, "signature " + sig
                    + " names no signer: its KeyInfo holds no X509Certificate");
        }
        List<String> refused = new ArrayList<>();
        for (X509Certificate cand : offered) {
            GeniCertificate g = GeniCertificate.of(cand);
            if (!mayIssueFor(g, c)) {
                refused.add(g.describe());
                continue;
            }
            List<X509Certificate> others = new ArrayList<>(offered);
            others.remove(cand);
            try {
                chains.validate(cand, others);
                return cand;
            } catch (ChainException e) {
                throw chainFailure(e, "signer of credential " + c.id() + " (" + sig + ")");
            }
        }
        throw new CredentialException(CredentialFailure.UNTRUSTED_SIGNER, "credential for " + c.describeTarget()
                + " is signed by " + refused + ", which is not an authority for " + c.targetUrn()
                + " and did not issue its target certificate");
    }

    private static boolean mayIssueFor(GeniCertificate signer, ParsedCredential c) {
        Optional<GeniUrn> u = signer.urn();
        if (u.isPresent() && u.get().isType("authority") && u.get().authorityCovers(c.targetUrn())) {
            return true;
        }
        X509Certificate s = signer.certificate();
        X509Certificate t = c.target();
        if (!t.getIssuerX500Principal().equals(s.getSubjectX500Principal())) {
            return false;
        }
        try {
            t.verify(s.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static void checkDelegation(ParsedCredential parent, ParsedCredential child) throws CredentialException {
        String where = "credential " + child.id() + " delegated by " + parent.ownerUrn();
        if (!child.targetUrn().equals(parent.targetUrn()) || !child.target().equals(parent.target())) {
            throw new CredentialException(CredentialFailure.BAD_DELEGATION, where + " is for " + child.targetUrn()
                    + " but its parent " + parent.id() + " is for " + parent.targetUrn() + " (target_gid must be the same)");
        }
        if (child.expires().isAfter(parent.expires())) {
            throw new CredentialException(CredentialFailure.BAD_DELEGATION, where + " expires at " + child.expires()
                    + ", after its parent " + parent.id() + " (" + parent.expires() + ")");
        }
        for (Privilege p : child.privileges()) {
            boolean ok = false;
            for (Privilege q : parent.privileges()) {
                if (Rights.covers(q, p)) {
                    ok = true;
                    break;
                }
            }
            if (!ok) {
                throw new CredentialException(CredentialFailure.BAD_DELEGATION, where + " claims privilege '" + p.name()
                        + "', which its parent " + parent.id() + " does not hold with can_delegate true");
            }
        }
    }

    private ValidatedChain trusted(X509Certificate leaf, List<X509Certificate> given, String what) throws CredentialException {
        try {
            return chains.validate(leaf, given.subList(1, given.size()));
        } catch (ChainException e) {
            throw chainFailure(e, what);
        }
    }

    private void checkCaller(ParsedCredential top, List<X509Certificate> callerChain) throws CredentialException {
        if (callerChain.isEmpty()) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "no caller certificate was given to check the credential owner against");
        }
        X509Certificate caller = callerChain.get(0);
        try {
            chains.validate(caller, callerChain.subList(1, callerChain.size()));
        } catch (ChainException e) {
            throw chainFailure(e, "caller certificate");
        }
        Optional<GeniUrn> u = GeniCertificate.of(caller).urn();
        if (u.isEmpty()) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "caller certificate "
                    + caller.getSubjectX500Principal().getName() + " carries no GENI URN, so it cannot own credential for "
                    + top.describeTarget());
        }
        if (!u.get().equals(top.ownerUrn())) {
            throw new CredentialException(CredentialFailure.OWNER_MISMATCH, "credential for " + top.describeTarget()
                    + " belongs to " + top.ownerUrn() + ", but the caller is " + u.get());
        }
    }

    static CredentialException chainFailure(ChainException e, String what) {
        CredentialFailure f = switch (e.reason()) {
            case EXPIRED -> CredentialFailure.CERTIFICATE_EXPIRED;
            case NOT_YET_VALID -> CredentialFailure.CERTIFICATE_NOT_YET_VALID;
            case UNTRUSTED, ISSUER_NOT_CA -> CredentialFailure.UNTRUSTED_SIGNER;
        };
        return new CredentialException(f, what + ": " + e.getMessage(), e);
    }
}
