package net.vnsnap.certs.credential;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import org.junit.jupiter.api.Test;

/** Structural attacks on the reference fixtures: each is refused with CREDENTIAL_INVALID and a telling message. */
class AttackTest {

    private static final CredentialVerifier VERIFIER = new CredentialVerifier(roots(), at(VALID));
    private static final List<X509Certificate> BOB_CHAIN = chain("bob-cert.pem");

    private static CredentialException refused(String xml, CredentialFailure reason, String messagePart) {
        CredentialException e = assertThrows(CredentialException.class, () -> VERIFIER.verify(xml, null, null, Set.of()));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code());
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '" + messagePart + "'");
        return e;
    }

    /** The signed credential element of a single-credential fixture. */
    private static String signedCredential(String xml) {
        int s = xml.indexOf("<credential ");
        int e = xml.indexOf("</credential>") + "</credential>".length();
        return xml.substring(s, e);
    }

    /** alice's signed slice credential, rewritten to name bob as owner: what a wrapping attacker wants read. */
    private static String forgedForBob(String signed) {
        return signed.replace("<owner_urn>" + ALICE + "</owner_urn>", "<owner_urn>" + BOB + "</owner_urn>")
                .replace(ownerGid(signed), pemOf("bob-cert.pem"));
    }

    private static String ownerGid(String cred) {
        int s = cred.indexOf("<owner_gid>") + "<owner_gid>".length();
        return cred.substring(s, cred.indexOf("</owner_gid>"));
    }

    private static String pemOf(String file) {
        return text(file);
    }

    @Test
    void signedCredentialMovedIntoUnknownElementWithForgeryInItsPlace() {
        String xml = sliceCred();
        String signed = signedCredential(xml);
        String forged = forgedForBob(signed);
        assertNotEquals(signed, forged);
        // The forgery takes the signed one's place and id; the original hides in an unknown element.
        String attack = xml.replace(signed, forged + "<wrapper>" + signed + "</wrapper>");
        refused(attack, CredentialFailure.MALFORMED, "unexpected <wrapper>");
        // Same, but the forgery gets a fresh id and the reference still points at the hidden original.
        String attack2 = xml.replace(signed, forged.replace("xml:id=\"ref0\"", "xml:id=\"ref7\"") + "<wrapper>" + signed + "</wrapper>");
        assertThrows(CredentialException.class, () -> VERIFIER.verify(attack2, BOB_CHAIN, urn(SLICE), Set.of()));
    }

    @Test
    void signedCredentialHiddenInsideTheSignatureObject() {
        String xml = sliceCred();
        String signed = signedCredential(xml);
        String forged = forgedForBob(signed).replace("xml:id=\"ref0\"", "xml:id=\"ref5\"");
        String attack = xml.replace(signed, forged).replace("</KeyInfo>", "</KeyInfo><Object>" + signed + "</Object>");
        CredentialException e = assertThrows(CredentialException.class, () -> VERIFIER.verify(attack, BOB_CHAIN, urn(SLICE), Set.of()));
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code(), e.getMessage());
        // Inside <Signature> the hidden copy falls into the XML-DSig namespace, so it is not even a credential; the
        // reference to it is what gets refused.
        assertTrue(e.getMessage().contains("#ref0, which is not a credential of the delegation chain"), e.getMessage());
    }

    @Test
    void signedCredentialHiddenInForgedCredentialExtensions() {
        String xml = sliceCred();
        String signed = signedCredential(xml);
        String forged = forgedForBob(signed).replace("xml:id=\"ref0\"", "xml:id=\"ref5\"")
                .replace("</privileges>", "</privileges><extensions>" + signed + "</extensions>");
        refused(xml.replace(signed, forged), CredentialFailure.MALFORMED, "outside the chain");
    }

    @Test
    void duplicatedXmlIdIsRefused() {
        String xml = sliceCred();
        // The Signature's own id is not signed; giving it the credential's id makes "#ref0" ambiguous.
        refused(xml.replace("xml:id=\"Sig_ref0\"", "xml:id=\"ref0\""), CredentialFailure.DUPLICATE_ID, "'ref0' is used more than once");
        String delegated = delegatedCred().replace("<credential xml:id=\"ref0\">", "<credential xml:id=\"ref1\">");
        refused(delegated, CredentialFailure.DUPLICATE_ID, "'ref1'");
    }

    @Test
    void addedUnsignedParentIsRefused() {
        String xml = userCred();
        String signed = signedCredential(xml);
        String fakeParent = signed.replace("xml:id=\"ref0\"", "xml:id=\"ref9\"");
        String attack = xml.replace(signed, signed.replace("</privileges></credential>",
                "</privileges><parent>" + fakeParent + "</parent></credential>"));
        refused(attack, CredentialFailure.UNSIGNED, "credential ref9 (a parent in the delegation chain) has no signature");
    }

    @Test
    void unsignedDelegationOnTopOfASignedCredentialIsRefused() {
        // Mallory (bob here) wraps alice's signed credential as the parent of an unsigned one naming himself.
        String xml = sliceCred();
        String signed = signedCredential(xml);
        String top = forgedForBob(signed).replace("xml:id=\"ref0\"", "xml:id=\"ref1\"")
                .replace("</privileges></credential>", "</privileges><parent>" + signed + "</parent></credential>");
        CredentialException e = refused(xml.replace(signed, top), CredentialFailure.UNSIGNED, "credential ref1 (the outermost credential) has no signature");
        assertNotNull(e);
    }

    @Test
    void credentialWithoutAnySignatureIsRefused() {
        String xml = sliceCred();
        int s = xml.indexOf("<signatures>");
        int e = xml.indexOf("</signatures>") + "</signatures>".length();
        refused(xml.substring(0, s) + xml.substring(e), CredentialFailure.UNSIGNED, "has no signature");
        // A delegated credential whose parent's signature was dropped.
        String d = delegatedCred();
        int p = d.indexOf("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\" xml:id=\"Sig_ref0\">");
        int q = d.indexOf("</Signature>", p) + "</Signature>".length();
        refused(d.substring(0, p) + d.substring(q), CredentialFailure.UNSIGNED, "credential ref0");
    }

    @Test
    void signatureOverAnotherIdIsRefused() {
        String xml = sliceCred().replace("URI=\"#ref0\"", "URI=\"#Sig_ref0\"");
        refused(xml, CredentialFailure.UNSIGNED, "not a credential of the delegation chain");
    }

    @Test
    void doctypeAndEntityExpansionAreRefused() {
        String laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><signed-credential><credential xml:id=\"ref0\">"
                + "<type>&lol3;</type></credential></signed-credential>";
        refused(laughs, CredentialFailure.MALFORMED, "DOCTYPE");
        String external = sliceCred().replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>",
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><!DOCTYPE signed-credential SYSTEM \"file:///etc/passwd\">");
        refused(external, CredentialFailure.MALFORMED, "DOCTYPE");
    }

    @Test
    void fiftyMegabyteCredentialIsRefusedQuickly() {
        StringBuilder b = new StringBuilder(50 * 1024 * 1024 + 100);
        b.append("<signed-credential><credential xml:id=\"ref0\"><type>");
        String filler = "x".repeat(1024);
        while (b.length() < 50 * 1024 * 1024) {
            b.append(filler);
        }
        b.append("</type></credential></signed-credential>");
        String huge = b.toString();
        long t0 = System.nanoTime();
        refused(huge, CredentialFailure.MALFORMED, "larger than");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "took " + ms + " ms");
        // Just under a multi-byte boundary: a 1.5 MB document of 2-byte characters still hits the cap while parsing.
        String wide = "<signed-credential><credential xml:id=\"ref0\"><type>" + "\u00e9".repeat(1_200_000) + "</type></credential></signed-credential>";
        refused(wide, CredentialFailure.MALFORMED, "larger than");
    }

    @Test
    void garbageAndWrongRootsAreMalformed() {
        refused("not xml", CredentialFailure.MALFORMED, "not well-formed");
        refused("", CredentialFailure.MALFORMED, "empty");
        refused("<credential xml:id=\"ref0\"/>", CredentialFailure.MALFORMED, "<signed-credential>");
        refused("<signed-credential/>", CredentialFailure.MALFORMED, "holds no <credential>");
    }
}
