package net.vnsnap.certs.testkit;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Makes GENI-style CAs and certificates with BouncyCastle, all with serial 3 as gcf does. */
public final class TestPki {

    public static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    public static final Instant TO = Instant.parse("2036-01-01T00:00:00Z");

    /** A certificate, its key, and the chain from it up to (and including) its self-signed CA. */
    public record Identity(X509Certificate cert, PrivateKey key, List<X509Certificate> chain) {
        public KeyPair keyPair() {
            return new KeyPair(cert.getPublicKey(), key);
        }
    }

    private TestPki() {
    }

    public static KeyPair rsa() {
        return rsa(2048);
    }

    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed authority CA for {@code authority} (encoded, e.g. {@code vnsnap:test}). */
    public static Identity ca(String authority) {
        return ca(authority, 2048);
    }

    /** As above with an RSA key of {@code bits}, e.g. a weak one. */
    public static Identity ca(String authority, int bits) {
        KeyPair kp = rsa(bits);
        String urn = "urn:publicid:IDN+" + authority + "+authority+sa";
        X509Certificate c = build(new X500Name("CN=" + authority + ".authority.sa"), kp, kp, new X500Name("CN=" + authority + ".authority.sa"),
                urn, true, FROM, TO, false);
        return new Identity(c, kp.getPrivate(), List.of(c));
    }

    /** A certificate for {@code urn} issued by {@code issuer}. */
    public static Identity issue(Identity issuer, String urn, boolean isCa) {
        return issue(issuer, urn, isCa, FROM, TO, false);
    }

    public static Identity issue(Identity issuer, String urn, boolean isCa, Instant from, Instant to, boolean withSki) {
        KeyPair kp = rsa();
        X500Name subject = new X500Name("CN=" + urn.substring(urn.lastIndexOf('+') + 1) + "." + Math.abs(urn.hashCode()));
        X509Certificate c = build(new X500Name(issuer.cert().getSubjectX500Principal().getName()), issuer.keyPair(), kp,
                subject, urn, isCa, from, to, withSki);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(c);
        chain.addAll(issuer.chain());
        return new Identity(c, kp.getPrivate(), chain);
    }

    private static X509Certificate build(X500Name issuerName, KeyPair issuerKeys, KeyPair subjectKeys, X500Name subject, String urn,
            boolean isCa, Instant from, Instant to, boolean withSki) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(3), Date.from(from),
                    Date.from(to), subject, subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.uniformResourceIdentifier, urn),
                new GeneralName(GeneralName.uniformResourceIdentifier, "urn:uuid:" + java.util.UUID.randomUUID()),
                new GeneralName(GeneralName.rfc822Name, "someone@example.org")}));
            if (withSki) {
                b.addExtension(Extension.subjectKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(subjectKeys.getPublic()));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot build test certificate", e);
        }
    }

    /** PEM text of certificates, one after another. */
    public static String pem(List<X509Certificate> certs) {
        StringBuilder b = new StringBuilder();
        for (X509Certificate c : certs) {
            try {
                b.append("-----BEGIN CERTIFICATE-----\n")
                        .append(java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.toString();
    }
}
