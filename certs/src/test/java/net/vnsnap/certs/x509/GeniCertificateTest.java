package net.vnsnap.certs.x509;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import net.vnsnap.certs.testkit.TestPki;
import net.vnsnap.certs.testkit.TestPki.Identity;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

/** Identity comes from the subjectAltName; PEM chains and keys read in both PKCS#8 and PKCS#1. */
class GeniCertificateTest {

    @Test
    void aliceIsHerSubjectAltNameUrn() {
        List<X509Certificate> c = chain("alice-cert.pem");
        assertEquals(2, c.size());
        GeniCertificate a = GeniCertificate.of(c.get(0));
        assertEquals(urn(ALICE), a.urn().orElseThrow());
        assertEquals("urn:uuid:7cf1d763-4107-4e89-b0df-660451a769d0", a.uuid().orElseThrow());
        assertEquals("alice@example.org", a.email().orElseThrow());
        assertFalse(a.isCa());
        assertTrue(c.get(0).getSubjectX500Principal().getName().contains("geni//gpo//gcf.user.alice"), "CN differs from the URN");
        GeniCertificate ca = GeniCertificate.of(c.get(1));
        assertTrue(ca.isCa());
        assertEquals(urn("urn:publicid:IDN+geni:gpo:gcf+authority+sa"), ca.urn().orElseThrow());
        assertTrue(ca.email().isEmpty());
    }

    @Test
    void keyIdWithoutSkiIsSha1OfTheKeyBits() {
        // Computed independently: openssl x509 -pubkey | openssl asn1parse -strparse 19 -out k.der; sha1sum k.der
        assertEquals("0651f27c4f9e4e67e55e438911432c0b9c70f45d", GeniCertificate.of(chain("alice-cert.pem").get(0)).keyId());
    }

    @Test
    void keyIdPrefersTheSubjectKeyIdentifier() {
        Identity ca = TestPki.ca("ski:test");
        Identity with = TestPki.issue(ca, "urn:publicid:IDN+ski:test+user+u", false, TestPki.FROM, TestPki.TO, true);
        String id = GeniCertificate.of(with.cert()).keyId();
        assertTrue(id.matches("[0-9a-f]{40}"), id);
        byte[] ext = with.cert().getExtensionValue("2.5.29.14");
        assertNotNull(ext);
        String hex = java.util.HexFormat.of().formatHex(ext);
        assertTrue(hex.endsWith(id), hex + " should end with " + id);
    }

    @Test
    void privateKeysInPkcs8AndPkcs1() throws Exception {
        PrivateKey k8 = GeniCertificate.readPrivateKey(path("alice-key.pem"));
        assertTrue(text("alice-key.pem").contains("BEGIN PRIVATE KEY"));
        assertMatches(k8, chain("alice-cert.pem").get(0));
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(new java.security.KeyPair(chain("alice-cert.pem").get(0).getPublicKey(), k8));
        }
        assertTrue(w.toString().contains("BEGIN RSA PRIVATE KEY"), "BouncyCastle writes a key pair as PKCS#1");
        assertMatches(GeniCertificate.readPrivateKey(w.toString()), chain("alice-cert.pem").get(0));
    }

    private static void assertMatches(PrivateKey k, X509Certificate c) throws Exception {
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(k);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(c.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig));
    }

    @Test
    void unreadableInputsSayWhy() {
        CertificateReadException e = assertThrows(CertificateReadException.class, () -> GeniCertificate.readChain("hello"));
        assertTrue(e.getMessage().contains("no PEM certificate"), e.getMessage());
        assertThrows(CertificateReadException.class, () -> GeniCertificate.readChain(path("missing.pem")));
        CertificateReadException k = assertThrows(CertificateReadException.class, () -> GeniCertificate.readPrivateKey(text("ch-cert.pem")));
        assertTrue(k.getMessage().contains("no unencrypted PEM private key"), k.getMessage());
    }
}
