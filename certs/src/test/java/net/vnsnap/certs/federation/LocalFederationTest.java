package net.vnsnap.certs.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.xml.SafeXml;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class LocalFederationTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    static Path dir;
    static LocalFederation fed;
    static Schema credentialSchema;

    @BeforeAll
    static void createFederation() throws Exception {
        fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//test", Duration.ofDays(3650), CLOCK);
        fed.issueUser("alice", "alice@example.org", Duration.ofDays(365));
        fed.issueUser("bob", null, Duration.ofDays(365));
        Path xsd = Path.of(System.getProperty("vnsnap.shared"), "geni-schemas", "credential-sfa", "credential.xsd");
        credentialSchema = SafeXml.schemaFactory().newSchema(xsd.toFile());
    }

    @Test
    void authorityIsASelfSignedCaNamedBySanUrn() throws Exception {
        X509Certificate ca = fed.authority().certificate();
        assertTrue(ca.getBasicConstraints() >= 0, "CA:TRUE");
        ca.verify(ca.getPublicKey());
        assertEquals(GeniUrn.parse("urn:publicid:IDN+vnsnap:test+authority+sa"), fed.authorityUrn());
        assertTrue(ca.getSubjectX500Principal().getName().contains("vnsnap//test.authority.sa"));
        assertTrue(Files.isRegularFile(fed.trustRootsDirectory().resolve("vnsnap_test.pem")));
    }

    @Test
    void userCertificatesAreNonCaSignedByTheAuthorityWithUrnUuidAndEmail() throws Exception {
        Identity alice = fed.user("alice");
        X509Certificate c = alice.certificate();
        assertEquals(-1, c.getBasicConstraints(), "CA:FALSE");
        c.verify(fed.authority().certificate().getPublicKey());
        assertEquals(2, alice.chain().size(), "user file holds the user certificate then its issuer");
        String sans = c.getSubjectAlternativeNames().toString();
        assertTrue(sans.contains("urn:publicid:IDN+vnsnap:test+user+alice"), sans);
        assertTrue(sans.contains("urn:uuid:"), sans);
        assertTrue(sans.contains("alice@example.org"), sans);
        assertTrue(c.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(fed.userDirectory("alice").resolve("key.pem"));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), perms);
    }

    @Test
    void refusesBadNamesAndDuplicates() {
        assertThrows(Exception.class, () -> fed.issueUser("1bad", null, Duration.ofDays(1)));
        assertThrows(Exception.class, () -> fed.issueUser("alice", null, Duration.ofDays(1)));
        assertThrows(Exception.class, () -> fed.issueSliceCredential("alice", "no_underscores", Duration.ofDays(1)));
        assertThrows(Exception.class, () -> LocalFederation.create(fed.directory(), "again", Duration.ofDays(1), CLOCK));
    }

    @Test
    void serverCertificatesNameHostsForTls() throws Exception {
        Identity am = fed.issueServer("am", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        String sans = am.certificate().getSubjectAlternativeNames().toString();
        assertTrue(sans.contains("urn:publicid:IDN+vnsnap:test:am+authority+am"), sans);
        assertTrue(sans.contains("localhost") && sans.contains("127.0.0.1"), sans);
        assertTrue(am.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
    }

    @Test
    void credentialsWeIssueValidateAgainstTheGeniCredentialSchema() throws Exception {
        Path sliceCred = fed.issueSliceCredential("alice", "demo", Duration.ofDays(7));
        String slice = Files.readString(sliceCred);
        String user = Files.readString(fed.userDirectory("alice").resolve("user-cred.xml"));
        String delegated = fed.factory().delegate(slice, fed.user("alice"), fed.user("bob").chain(), null, false, null);
        String speaksFor = fed.factory().speaksFor(fed.user("alice"), fed.user("bob").certificate(),
                CLOCK.instant().plus(Duration.ofDays(1)));
        for (String xml : List.of(slice, user, delegated, speaksFor)) {
            credentialSchema.newValidator().validate(new StreamSource(new StringReader(xml)));
        }
        String noExpiry = slice.replaceFirst("<expires>[^<]*</expires>", "");
        assertThrows(org.xml.sax.SAXException.class,
                () -> credentialSchema.newValidator().validate(new StreamSource(new StringReader(noExpiry))));
    }

    /** The reference tools verify with xmlsec1; what we sign must pass it too (skipped where it is not installed). */
    @Test
    void xmlsec1AcceptsEverySignatureWeMakeAndRejectsATamperedCopy() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/xmlsec1")),
                "xmlsec1 is not installed (bin/vnsnap setup installs it)");
        String slice = Files.readString(fed.issueSliceCredential("alice", "x1", Duration.ofDays(7)));
        String delegated = fed.factory().delegate(slice, fed.user("alice"), fed.user("bob").chain(), null, true, null);
        String third = fed.factory().delegate(delegated, fed.user("bob"), fed.user("alice").chain(), Set.of("info"), false, null);
        String sha1 = fed.withAlgorithm(CredentialSigner.Algorithm.RSA_SHA1).factory()
                .sliceCredential(fed.authority(), fed.user("alice").chain(), fed.user("alice").chain(), CLOCK.instant());
        String speaksFor = fed.factory().speaksFor(fed.user("alice"), fed.user("bob").certificate(), CLOCK.instant());
        Path root = fed.trustRootsDirectory().resolve("vnsnap_test.pem");
        assertEquals(0, xmlsec1(slice, "Sig_ref0", root));
        assertEquals(0, xmlsec1(delegated, "Sig_ref1", root));
        assertEquals(0, xmlsec1(third, "Sig_ref2", root));
        assertEquals(0, xmlsec1(third, "Sig_ref0", root));
        assertEquals(0, xmlsec1(sha1, "Sig_ref0", root));
        assertEquals(0, xmlsec1(speaksFor, "Sig_ref0", root));
        assertNotEquals(0, xmlsec1(slice.replace("+slice+x1<", "+slice+x2<"), "Sig_ref0", root));
    }

    private static int xmlsec1(String xml, String nodeId, Path trusted) throws Exception {
        Path f = Files.createTempFile(dir, "cred", ".xml");
        Files.writeString(f, xml);
        // Certificates are checked at the real time by xmlsec1; ours were issued at the fixed test clock,
        // so verify at that time too.
        Process p = new ProcessBuilder("xmlsec1", "--verify", "--node-id", nodeId, "--trusted-pem", trusted.toString(),
                "--verification-time", "2027-01-01 00:00:00", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0) {
            System.err.println("xmlsec1 " + nodeId + ": " + out);
        }
        return rc;
    }

    @Test
    void sliceCredentialNamesOwnerTargetExpiryAndDelegatablePrivileges() throws Exception {
        String xml = Files.readString(fed.issueSliceCredential("alice", "s2", Duration.ofDays(7)));
        Document d = SafeXml.parse(xml, SafeXml.DEFAULT_MAX_BYTES);
        assertEquals("urn:publicid:IDN+vnsnap:test+user+alice", text(d, "owner_urn"));
        assertEquals("urn:publicid:IDN+vnsnap:test+slice+s2", text(d, "target_urn"));
        assertEquals("2027-01-08T00:00:00Z", text(d, "expires"));
        assertEquals(5, d.getElementsByTagName("privilege").getLength());
        assertEquals("Sig_ref0", ((Element) d.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").item(0))
                .getAttributeNS("http://www.w3.org/XML/1998/namespace", "id"));
        assertTrue(xml.contains("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"));
        String sha1 = fed.withAlgorithm(CredentialSigner.Algorithm.RSA_SHA1).factory()
                .sliceCredential(fed.authority(), fed.user("alice").chain(), fed.user("alice").chain(), CLOCK.instant());
        assertTrue(sha1.contains("http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
    }

    @Test
    void delegationNestsTheParentUnchangedAndKeepsItsSignature() throws Exception {
        String parent = Files.readString(fed.issueSliceCredential("alice", "s3", Duration.ofDays(7)));
        String child = fed.factory().delegate(parent, fed.user("alice"), fed.user("bob").chain(), Set.of("info", "control"),
                true, null);
        Document d = SafeXml.parse(child, SafeXml.DEFAULT_MAX_BYTES);
        Element outer = (Element) d.getElementsByTagName("credential").item(0);
        assertEquals("ref1", outer.getAttributeNS("http://www.w3.org/XML/1998/namespace", "id"));
        assertEquals("urn:publicid:IDN+vnsnap:test+user+bob", text(d, "owner_urn"));
        assertEquals(2, d.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").getLength());
        Document p = SafeXml.parse(parent, SafeXml.DEFAULT_MAX_BYTES);
        Element nested = (Element) d.getElementsByTagName("parent").item(0).getFirstChild();
        assertTrue(nested.isEqualNode(p.getElementsByTagName("credential").item(0)), "parent credential copied exactly");
        // bob re-delegates to alice: three levels, ids stay unique.
        String third = fed.factory().delegate(child, fed.user("bob"), fed.user("alice").chain(), Set.of("info"), false, null);
        Document t = SafeXml.parse(third, SafeXml.DEFAULT_MAX_BYTES);
        assertEquals("ref2", ((Element) t.getElementsByTagName("credential").item(0))
                .getAttributeNS("http://www.w3.org/XML/1998/namespace", "id"));
        assertEquals(3, t.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").getLength());
    }

    @Test
    void delegationRefusesWhatTheParentDoesNotAllow() throws Exception {
        String parent = Files.readString(fed.issueSliceCredential("alice", "s4", Duration.ofDays(7)));
        CredentialFactory f = fed.factory();
        GeneralSecurityException notOwner = assertThrows(GeneralSecurityException.class,
                () -> f.delegate(parent, fed.user("bob"), fed.user("alice").chain(), null, false, null));
        assertTrue(notOwner.getMessage().contains("only the credential's owner"), notOwner.getMessage());
        GeneralSecurityException outlives = assertThrows(GeneralSecurityException.class,
                () -> f.delegate(parent, fed.user("alice"), fed.user("bob").chain(), null, false, CLOCK.instant().plus(Duration.ofDays(30))));
        assertTrue(outlives.getMessage().contains("outlive"), outlives.getMessage());
        String nonDelegatable = f.delegate(parent, fed.user("alice"), fed.user("bob").chain(), Set.of("info"), false, null);
        GeneralSecurityException again = assertThrows(GeneralSecurityException.class,
                () -> f.delegate(nonDelegatable, fed.user("bob"), fed.user("alice").chain(), Set.of("info"), false, null));
        assertTrue(again.getMessage().contains("not delegatable"), again.getMessage());
    }

    @Test
    void speaksForNamesUserAndToolByKeyId() throws Exception {
        Identity alice = fed.user("alice");
        X509Certificate tool = fed.user("bob").certificate();
        String xml = fed.factory().speaksFor(alice, tool, CLOCK.instant().plus(Duration.ofDays(1)));
        Document d = SafeXml.parse(xml, SafeXml.DEFAULT_MAX_BYTES);
        String userKey = net.vnsnap.certs.x509.GeniCertificate.of(alice.certificate()).keyId();
        String toolKey = net.vnsnap.certs.x509.GeniCertificate.of(tool).keyId();
        assertNotEquals(userKey, toolKey);
        assertEquals(40, userKey.length());
        assertEquals("abac", text(d, "type"));
        assertEquals("speaks_for_" + userKey, text(d, "role"));
        assertEquals(userKey, d.getElementsByTagName("keyid").item(0).getTextContent());
        assertEquals(toolKey, d.getElementsByTagName("keyid").item(1).getTextContent());
        assertFalse(xml.contains("<owner_urn>urn"), "speaks-for credentials leave owner and target empty");
    }

    @Test
    void keyIdIsSha1OfThePublicKeyBitsLikeTheSubjectKeyIdentifier() throws Exception {
        X509Certificate c = fed.user("alice").certificate();
        byte[] ski = c.getExtensionValue("2.5.29.14");
        // OCTET STRING wrapping OCTET STRING(20): the last 20 bytes are the identifier.
        String skiHex = java.util.HexFormat.of().formatHex(ski, ski.length - 20, ski.length);
        byte[] bits = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded())
                .getPublicKeyData().getBytes();
        assertEquals(skiHex, java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(bits)));
        assertEquals(skiHex, net.vnsnap.certs.x509.GeniCertificate.of(c).keyId());
    }

    private static String text(Document d, String tag) {
        return d.getElementsByTagName(tag).item(0).getTextContent();
    }
}
