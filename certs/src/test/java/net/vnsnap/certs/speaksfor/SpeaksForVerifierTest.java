package net.vnsnap.certs.speaksfor;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialFailure;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.credential.VerifiedCredential;
import net.vnsnap.certs.testkit.TestCredentials;
import net.vnsnap.certs.testkit.TestFederation;
import net.vnsnap.certs.testkit.TestPki.Identity;
import net.vnsnap.certs.x509.GeniCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Speaks-for credentials built here (no real one is available): alice, with her fixture key, lets a tool
 * (bob's fixture certificate stands in for a portal) speak for her.
 */
class SpeaksForVerifierTest {

    private static final Instant EXPIRES = Instant.parse("2028-01-01T00:00:00Z");
    private static Identity alice;
    private static List<X509Certificate> tool;
    private static String aliceKeyId;
    private static String toolKeyId;
    private static SpeaksForVerifier verifier;

    @BeforeAll
    static void setUp() throws Exception {
        List<X509Certificate> ac = chain("alice-cert.pem");
        alice = new Identity(ac.get(0), GeniCertificate.readPrivateKey(path("alice-key.pem")), ac);
        tool = chain("bob-cert.pem");
        aliceKeyId = GeniCertificate.of(alice.cert()).keyId();
        toolKeyId = GeniCertificate.of(tool.get(0)).keyId();
        verifier = new SpeaksForVerifier(roots(), at(VALID));
    }

    private static String sf(Identity signer, String headKeyId, String tailKeyId, Instant expires, String role) {
        return TestCredentials.speaksFor(signer, headKeyId, tailKeyId, expires, role);
    }

    private static String good() {
        return sf(alice, aliceKeyId, toolKeyId, EXPIRES, "speaks_for_" + aliceKeyId);
    }

    private static CredentialException refused(String xml, List<X509Certificate> caller, String forUrn, CredentialFailure reason,
            String part) {
        CredentialException e = assertThrows(CredentialException.class, () -> verifier.verify(xml, caller, urn(forUrn)));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        return e;
    }

    @Test
    void toolSpeaksForAliceAndThenUsesHerSliceCredential() throws Exception {
        SpeaksFor sf = verifier.verify(good(), tool, urn(ALICE));
        assertEquals(urn(ALICE), sf.user());
        assertEquals(alice.cert(), sf.userChain().get(0));
        assertEquals(ca(), sf.userChain().get(sf.userChain().size() - 1));
        assertEquals(tool.get(0), sf.tool());
        assertEquals(EXPIRES, sf.expires());
        // The AM then checks alice's slice credential against the effective caller, not the tool.
        CredentialVerifier cv = new CredentialVerifier(roots(), at(VALID));
        VerifiedCredential vc = cv.verify(sliceCred(), sf.userChain(), urn(SLICE), Set.of(AmOperation.CREATE_SLIVER));
        assertEquals(urn(ALICE), vc.owner());
        assertEquals(GeniCode.CREDENTIAL_MISMATCH,
                assertThrows(CredentialException.class, () -> cv.verify(sliceCred(), tool, urn(SLICE), Set.of())).code());
    }

    @Test
    void speakingForSomeoneElseIsAMismatch() {
        CredentialException e = refused(good(), tool, BOB, CredentialFailure.OWNER_MISMATCH, "geni_speaking_for names " + BOB);
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, e.code());
    }

    @Test
    void anotherCallerThanTheNamedToolIsAMismatch() {
        refused(good(), chain("am-cert.pem"), ALICE, CredentialFailure.OWNER_MISMATCH, "lets the tool with keyid " + toolKeyId);
    }

    @Test
    void expiredSpeaksForIsRefused() {
        SpeaksForVerifier late = new SpeaksForVerifier(roots(), at(EXPIRES));
        CredentialException e = assertThrows(CredentialException.class, () -> late.verify(good(), tool, urn(ALICE)));
        assertEquals(GeniCode.CREDENTIAL_EXPIRED, e.code());
        assertTrue(e.getMessage().contains("expired at " + EXPIRES), e.getMessage());
    }

    @Test
    void wrongRoleIsRefused() {
        refused(sf(alice, aliceKeyId, toolKeyId, EXPIRES, "speaks_for_" + toolKeyId), tool, ALICE, CredentialFailure.INCONSISTENT,
                "must be speaks_for_" + aliceKeyId);
    }

    @Test
    void signedByAnotherKeyThanTheHeadIsRefused() throws Exception {
        // bob signs a statement claiming to be alice's.
        List<X509Certificate> bc = chain("bob-cert.pem");
        Identity bob = new Identity(bc.get(0), GeniCertificate.readPrivateKey(path("bob-key.pem")), bc);
        refused(sf(bob, aliceKeyId, toolKeyId, EXPIRES, "speaks_for_" + aliceKeyId), tool, ALICE, CredentialFailure.UNTRUSTED_SIGNER,
                "has the keyid " + aliceKeyId);
        // ... or puts alice's certificate into KeyInfo but signs with his own key.
        Identity forged = new Identity(alice.cert(), bob.key(), alice.chain());
        refused(sf(forged, aliceKeyId, toolKeyId, EXPIRES, "speaks_for_" + aliceKeyId), tool, ALICE, CredentialFailure.BAD_SIGNATURE,
                "does not verify");
    }

    @Test
    void userFromAnUntrustedCaIsRefused() {
        TestFederation other = new TestFederation();
        String kid = GeniCertificate.of(other.alice.cert()).keyId();
        String xml = sf(other.alice, kid, toolKeyId, EXPIRES, "speaks_for_" + kid);
        CredentialException e = refused(xml, tool, TestCredentials.urnOf(other.alice), CredentialFailure.UNTRUSTED_SIGNER,
                "does not chain to a trusted root");
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, e.code());
    }

    @Test
    void tamperedStatementIsRefused() {
        String xml = good();
        String bad = xml.replace("<keyid>" + toolKeyId + "</keyid>", "<keyid>" + toolKeyId.substring(0, 39) + "0</keyid>");
        assertNotEquals(xml, bad);
        refused(bad, tool, ALICE, CredentialFailure.BAD_SIGNATURE, "does not verify");
    }

    @Test
    void privilegeCredentialIsNotASpeaksFor() {
        refused(sliceCred(), tool, ALICE, CredentialFailure.UNSUPPORTED_TYPE, "must be of type abac");
    }
}
