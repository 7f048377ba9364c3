package net.vnsnap.certs.x509;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads certificates and private keys out of PEM text with BouncyCastle's PEM parser. */
final class Pem {

    /** The largest PEM text accepted; a certificate chain is a few kilobytes. */
    static final int MAX_CHARS = 1 << 20;

    private Pem() {
    }

    static List<X509Certificate> certificates(String pem, String source) throws CertificateReadException {
        checkSize(pem, source);
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(h.getEncoded())));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new CertificateReadException(source + ": not a readable PEM certificate chain: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new CertificateReadException(source + ": holds no PEM certificate (BEGIN CERTIFICATE)");
        }
        return out;
    }

    static PrivateKey privateKey(String pem, String source) throws CertificateReadException {
        checkSize(pem, source);
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) {
                    return conv.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return conv.getKeyPair(pair).getPrivate();
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateReadException(source + ": not a readable PEM private key: " + e.getMessage(), e);
        }
        throw new CertificateReadException(source + ": holds no unencrypted PEM private key"
                + " (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)");
    }

    private static void checkSize(String pem, String source) throws CertificateReadException {
        if (pem == null) {
            throw new CertificateReadException(source + ": no PEM text");
        }
        if (pem.length() > MAX_CHARS) {
            throw new CertificateReadException(source + ": PEM text is longer than " + MAX_CHARS + " characters");
        }
    }
}
