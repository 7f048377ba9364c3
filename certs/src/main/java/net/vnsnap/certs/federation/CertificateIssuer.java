package net.vnsnap.certs.federation;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues GENI certificates (RSA-2048, sha256WithRSA) whose identity is the URN in the
 * subjectAltName, as the reference clearinghouse does: authorities, users, aggregate managers, slices.
 */
public final class CertificateIssuer {

    /** What a certificate is for: decides CA:TRUE/FALSE, key usage and extended key usage. */
    public enum Role {
        /** A slice or member authority: a CA that signs certificates and credentials. */
        AUTHORITY,
        /** An experimenter or tool: a TLS client and credential signer (delegation, speaks-for). */
        USER,
        /** An aggregate manager or host agent: a TLS server and client. */
        SERVER,
        /** A slice: the target of slice credentials, never used for TLS. */
        SLICE
    }

    /** The subject of a certificate to issue. */
    public record Subject(GeniUrn urn, Role role, String email, List<String> hostNames) {
        public Subject {
            hostNames = hostNames == null ? List.of() : List.copyOf(hostNames);
        }
    }

    private final Identity authority;
    private final Clock clock;
    /** Shared for serial numbers and key generation; SecureRandom is thread-safe. */
    private final SecureRandom random = new SecureRandom();

    /** An issuer that signs with the given authority identity. */
    public CertificateIssuer(Identity authority, Clock clock) {
        this.authority = authority;
        this.clock = clock;
    }

    /** Creates a self-signed authority (trust root) for {@code authorityUrn} ({@code ...+authority+sa}). */
    public static Identity newAuthority(GeniUrn authorityUrn, Duration validity, Clock clock) throws GeneralSecurityException {
        SecureRandom random = new SecureRandom();
        KeyPair keys = newKeyPair(random);
        Subject s = new Subject(authorityUrn, Role.AUTHORITY, null, List.of());
        X500Name name = distinguishedName(authorityUrn, null);
        X509Certificate cert = build(s, name, keys.getPublic(), name, keys, null, validity, clock, random);
        return new Identity(keys.getPrivate(), List.of(cert));
    }

    /** Issues a certificate with a fresh key for the subject; the chain returned ends with this authority's chain. */
    public Identity issue(Subject subject, Duration validity) throws GeneralSecurityException {
        KeyPair keys = newKeyPair(random);
        X509Certificate cert = build(subject, distinguishedName(subject.urn(), subject.email()), keys.getPublic(),
                X500Name.getInstance(authority.certificate().getSubjectX500Principal().getEncoded()),
                new KeyPair(authority.certificate().getPublicKey(), authority.key()), authority.certificate(),
                validity, clock, random);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(cert);
        chain.addAll(authority.chain());
        return new Identity(keys.getPrivate(), chain);
    }

    /** The URN of this issuer's authority. */
    public Identity authority() {
        return authority;
    }

    /** The subject name the reference tools use: CN = {@code <authority>.<type>.<name>} in plain text. */
    private static X500Name distinguishedName(GeniUrn urn, String email) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        b.addRDN(BCStyle.CN, urn.plainAuthority() + "." + urn.type() + "." + urn.plainName());
        if (email != null && !email.isBlank()) {
            b.addRDN(BCStyle.EmailAddress, email);
        }
        return b.build();
    }

    private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, random);
        return g.generateKeyPair();
    }

    private static X509Certificate build(Subject s, X500Name subjectName, PublicKey subjectKey, X500Name issuerName,
            KeyPair issuerKeys, X509Certificate issuerCert, Duration validity, Clock clock, SecureRandom random)
            throws GeneralSecurityException {
        // Back-date a minute so a freshly issued certificate is valid on a host whose clock lags slightly.
        Instant notBefore = clock.instant().minusSeconds(60);
        Instant notAfter = clock.instant().plus(validity);
        BigInteger serial = new BigInteger(63, random).add(BigInteger.ONE);
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, serial, Date.from(notBefore),
                    Date.from(notAfter), subjectName, subjectKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            boolean ca = s.role() == Role.AUTHORITY;
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            if (issuerCert != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
            }
            b.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
                    : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (!ca) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            }
            b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(s));
            var signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer));
            cert.verify(issuerKeys.getPublic());
            return cert;
        } catch (OperatorCreationException | java.io.IOException e) {
            throw new GeneralSecurityException("cannot build certificate for " + s.urn() + ": " + e.getMessage(), e);
        }
    }

    private static GeneralNames subjectAltNames(Subject s) throws GeneralSecurityException {
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, s.urn().toString()));
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, "urn:uuid:" + UUID.randomUUID()));
        if (s.email() != null && !s.email().isBlank()) {
            names.add(new GeneralName(GeneralName.rfc822Name, s.email()));
        }
        for (String host : s.hostNames()) {
            if (isIpLiteral(host)) {
                names.add(new GeneralName(GeneralName.iPAddress, host));
            } else {
                names.add(new GeneralName(GeneralName.dNSName, host));
            }
        }
        return new GeneralNames(names.toArray(new GeneralName[0]));
    }

    private static boolean isIpLiteral(String host) throws GeneralSecurityException {
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            return false;
        }
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            throw new GeneralSecurityException("'" + host + "' is not a valid IP address");
        }
    }

    /** Builds the URN of a subject of this issuer's authority, checking the name rules of its type. */
    public GeniUrn urnFor(String type, String name) throws InvalidUrnException {
        GeniUrn auth = authorityUrn();
        GeniUrn urn = GeniUrn.ofEncoded(auth.authority(), type, name);
        urn.checkTypeRules();
        return urn;
    }

    /** The URN in this issuer's own certificate. */
    public GeniUrn authorityUrn() {
        return FederationNames.urnOf(authority.certificate());
    }
}
