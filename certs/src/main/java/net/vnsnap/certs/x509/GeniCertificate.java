package net.vnsnap.certs.x509;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/** A GENI identity certificate: an X.509 certificate whose subjectAltName URN, not its CN, names the holder. */
public final class GeniCertificate {

    private static final int SAN_EMAIL = 1;
    private static final int SAN_URI = 6;
    private static final String SKI_OID = "2.5.29.14";

    private final X509Certificate cert;
    /** The SAN URN, or null when the certificate carries no valid GENI URN. */
    private final GeniUrn urn;
    /** The SAN urn:uuid: value, or null. */
    private final String uuid;
    /** The SAN rfc822 e-mail, or null. */
    private final String email;

    private GeniCertificate(X509Certificate cert) {
        this.cert = Objects.requireNonNull(cert, "certificate");
        GeniUrn u = null;
        String id = null;
        String mail = null;
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            names = null;
        }
        if (names != null) {
            for (List<?> n : names) {
                int kind = (Integer) n.get(0);
                String value = String.valueOf(n.get(1));
                if (kind == SAN_URI && u == null && value.regionMatches(true, 0, GeniUrn.PREFIX, 0, GeniUrn.PREFIX.length())) {
                    try {
                        u = GeniUrn.parse(value);
                    } catch (InvalidUrnException e) {
                        // An unparsable URN is no identity; keep looking.
                    }
                } else if (kind == SAN_URI && id == null && value.regionMatches(true, 0, "urn:uuid:", 0, 9)) {
                    id = value;
                } else if (kind == SAN_EMAIL && mail == null) {
                    mail = value;
                }
            }
        }
        this.urn = u;
        this.uuid = id;
        this.email = mail;
    }

    /** Wraps a certificate. */
    public static GeniCertificate of(X509Certificate cert) {
        return new GeniCertificate(cert);
    }

    /** Reads every certificate of a PEM file, in file order (a user file: the user, then its issuer). */
    public static List<X509Certificate> readChain(Path file) throws CertificateReadException {
        return Pem.certificates(readText(file), file.toString());
    }

    /** Reads every certificate of a PEM text, in order. */
    public static List<X509Certificate> readChain(String pem) throws CertificateReadException {
        return Pem.certificates(pem, "PEM text");
    }

    /** Reads an unencrypted PKCS#8 or PKCS#1 (RSA) PEM private key file. */
    public static PrivateKey readPrivateKey(Path file) throws CertificateReadException {
        return Pem.privateKey(readText(file), file.toString());
    }

    /** Reads an unencrypted PKCS#8 or PKCS#1 (RSA) PEM private key text. */
    public static PrivateKey readPrivateKey(String pem) throws CertificateReadException {
        return Pem.privateKey(pem, "PEM text");
    }

    private static String readText(Path file) throws CertificateReadException {
        try {
            if (Files.size(file) > Pem.MAX_CHARS) {
                throw new CertificateReadException(file + ": larger than " + Pem.MAX_CHARS + " bytes");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new CertificateReadException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return cert;
    }

    /** The GENI URN from the subjectAltName: the holder's identity. */
    public Optional<GeniUrn> urn() {
        return Optional.ofNullable(urn);
    }

    /** The {@code urn:uuid:...} subjectAltName. */
    public Optional<String> uuid() {
        return Optional.ofNullable(uuid);
    }

    /** The e-mail subjectAltName. */
    public Optional<String> email() {
        return Optional.ofNullable(email);
    }

    /** True when basicConstraints says CA:TRUE. */
    public boolean isCa() {
        return cert.getBasicConstraints() >= 0;
    }

    /**
     * The key identifier used by ABAC speaks-for: the SubjectKeyIdentifier as lowercase hex, or, when the
     * certificate has none, the SHA-1 of the subjectPublicKey bits (the value such an identifier usually holds).
     */
    public String keyId() {
        byte[] ext = cert.getExtensionValue(SKI_OID);
        if (ext != null) {
            byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
            return HexFormat.of().formatHex(SubjectKeyIdentifier.getInstance(inner).getKeyIdentifier());
        }
        return publicKeySha1(cert);
    }

    private static String publicKeySha1(X509Certificate c) {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded());
        return HexFormat.of().formatHex(sha("SHA-1", spki.getPublicKeyData().getBytes()));
    }

    /** The SHA-256 of the DER encoding as lowercase hex: a name for this exact certificate. */
    public String fingerprint() {
        return fingerprint(cert);
    }

    /** The SHA-256 of a certificate's DER encoding as lowercase hex. */
    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(sha("SHA-256", c.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded", e);
        }
    }

    static byte[] sha(String alg, byte[] data) {
        try {
            return MessageDigest.getInstance(alg).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " missing from the JDK", e);
        }
    }

    /** The URN if present, else the subject DN: how messages name a certificate. */
    public String describe() {
        return urn != null ? urn.toString() : cert.getSubjectX500Principal().getName();
    }

    @Override
    public String toString() {
        return "GeniCertificate[" + describe() + "]";
    }
}
