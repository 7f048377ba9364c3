package net.vnsnap.certs.credential;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.testkit.Fixtures;
import org.junit.jupiter.api.Test;

/** The reference clearinghouse's credentials verify, and fail for the right reason when something is off. */
class FixtureCredentialTest {

    private static final List<X509Certificate> ALICE_CHAIN = chain("alice-cert.pem");
    private static final List<X509Certificate> BOB_CHAIN = chain("bob-cert.pem");

    private static CredentialVerifier verifier(Instant t) {
        return new CredentialVerifier(roots(), at(t));
    }

    static CredentialException refused(CredentialVerifier v, String xml, List<X509Certificate> caller, String target,
            Set<AmOperation> needed) {
        return assertThrows(CredentialException.class,
                () -> v.verify(xml, caller, target == null ? null : urn(target), needed));
    }

    @Test
    void sliceCredentialVerifiesForAlice() throws Exception {
        VerifiedCredential vc = verifier(VALID).verify(sliceCred(), ALICE_CHAIN, urn(SLICE),
                Set.of(AmOperation.CREATE_SLIVER, AmOperation.GET_SLICE_RESOURCES, AmOperation.RENEW_SLIVER,
                        AmOperation.DELETE_SLICE, AmOperation.SHUTDOWN));
        assertEquals(urn(ALICE), vc.owner());
        assertEquals(urn(SLICE), vc.target());
        assertEquals(SLICE_EXPIRY, vc.expires());
        assertEquals(1, vc.chainDepth());
        assertEquals(5, vc.privileges().size());
        assertTrue(vc.privileges().contains(new Privilege("embed", true)));
        assertEquals(ca(), vc.issuer());
    }

    @Test
    void userCredentialVerifiesButGrantsNoSliverOperations() throws Exception {
        VerifiedCredential vc = verifier(VALID).verify(userCred(), ALICE_CHAIN, urn(ALICE), Set.of(AmOperation.LIST_RESOURCES));
        assertEquals(urn(ALICE), vc.target());
        assertTrue(vc.allows(AmOperation.RESOLVE));
        assertFalse(vc.allows(AmOperation.CREATE_SLIVER));
        CredentialException e = refused(verifier(VALID), userCred(), ALICE_CHAIN, ALICE, Set.of(AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.FORBIDDEN, e.code());
        assertEquals(CredentialFailure.FORBIDDEN, e.reason());
        assertTrue(e.getMessage().contains("createsliver"), e.getMessage());
    }

    @Test
    void delegatedCredentialVerifiesForBob() throws Exception {
        VerifiedCredential vc = verifier(VALID).verify(delegatedCred(), BOB_CHAIN, urn(SLICE), Set.of(AmOperation.CREATE_SLIVER));
        assertEquals(urn(BOB), vc.owner());
        assertEquals(2, vc.chainDepth());
        assertTrue(vc.privileges().stream().noneMatch(Privilege::canDelegate));
    }

    @Test
    void callerAndTargetChecksAreOptional() throws Exception {
        VerifiedCredential vc = verifier(VALID).verify(sliceCred(), null, null, Set.of());
        assertEquals(urn(ALICE), vc.owner());
    }

    @Test
    void wrongCallerIsAMismatch() {
        CredentialException e = refused(verifier(VALID), sliceCred(), BOB_CHAIN, SLICE, Set.of());
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("+user+alice") && e.getMessage().contains("+user+bob"), e.getMessage());
        CredentialException d = refused(verifier(VALID), delegatedCred(), ALICE_CHAIN, SLICE, Set.of());
        assertEquals(CredentialFailure.OWNER_MISMATCH, d.reason());
    }

    @Test
    void wrongTargetIsAMismatch() {
        CredentialException e = refused(verifier(VALID), sliceCred(), ALICE_CHAIN, "urn:publicid:IDN+geni:gpo:gcf+slice+other", Set.of());
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, e.code());
        assertEquals(CredentialFailure.TARGET_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("slice+other"), e.getMessage());
    }

    @Test
    void sliceCredentialsExpireAtTheirInstantUserCredentialLater() throws Exception {
        for (Instant t : List.of(SLICE_EXPIRY, AFTER_SLICE_EXPIRY, ALL_EXPIRED)) {
            CredentialException e = refused(verifier(t), sliceCred(), ALICE_CHAIN, SLICE, Set.of());
            assertEquals(GeniCode.CREDENTIAL_EXPIRED, e.code(), "at " + t);
            assertTrue(e.getMessage().contains("slice " + SLICE) && e.getMessage().contains("expired at 2030-11-25T12:56:10Z"),
                    e.getMessage());
            CredentialException d = refused(verifier(t), delegatedCred(), BOB_CHAIN, SLICE, Set.of());
            assertEquals(GeniCode.CREDENTIAL_EXPIRED, d.code(), "at " + t);
        }
        assertNotNull(verifier(SLICE_EXPIRY.minusMillis(1)).verify(sliceCred(), ALICE_CHAIN, urn(SLICE), Set.of()));
        assertNotNull(verifier(AFTER_SLICE_EXPIRY).verify(userCred(), ALICE_CHAIN, urn(ALICE), Set.of()));
        CredentialException u = refused(verifier(ALL_EXPIRED), userCred(), ALICE_CHAIN, ALICE, Set.of());
        assertEquals(GeniCode.CREDENTIAL_EXPIRED, u.code());
        assertTrue(u.getMessage().contains("user " + ALICE), u.getMessage());
    }

    @Test
    void certificateNotYetValidIsRefused() {
        CredentialException e = refused(verifier(BEFORE_BOB), delegatedCred(), BOB_CHAIN, SLICE, Set.of());
        assertEquals(CredentialFailure.CERTIFICATE_NOT_YET_VALID, e.reason());
        assertTrue(e.getMessage().contains("+user+bob"), e.getMessage());
    }

    @Test
    void absentTrustRootMeansUntrustedSigner() {
        CredentialVerifier none = new CredentialVerifier(TrustRoots.of(List.of()), at(VALID));
        for (String xml : List.of(sliceCred(), userCred(), delegatedCred())) {
            CredentialException e = refused(none, xml, null, null, Set.of());
            assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("does not chain to a trusted root"), e.getMessage());
        }
        // A root set holding only alice (not a CA, not the signer) does not help either.
        CredentialVerifier wrong = new CredentialVerifier(TrustRoots.of(List.of(ALICE_CHAIN.get(0))), at(VALID));
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, refused(wrong, sliceCred(), null, null, Set.of()).code());
    }

    @Test
    void v3EnvelopeClassifier() throws Exception {
        assertEquals(CredentialEnvelope.Kind.SFA, new CredentialEnvelope("geni_sfa", "3", sliceCred()).kind());
        assertEquals(CredentialEnvelope.Kind.SFA, CredentialEnvelope.v2(sliceCred()).kind());
        assertEquals(CredentialEnvelope.Kind.ABAC, new CredentialEnvelope("geni_abac", "1", "<x/>").kind());
        CredentialException e = assertThrows(CredentialException.class, () -> new CredentialEnvelope("geni_foo", "3", "<x/>").kind());
        assertEquals(CredentialFailure.UNSUPPORTED_TYPE, e.reason());
        assertTrue(e.getMessage().contains("geni_foo"));
        assertThrows(CredentialException.class, () -> new CredentialEnvelope("geni_sfa", "4", "<x/>").kind());
        assertThrows(CredentialException.class, () -> new CredentialEnvelope(null, null, "<x/>").kind());
    }

    @Test
    void fixturesAreTheOnesDescribed() {
        assertEquals(2, ALICE_CHAIN.size());
        assertEquals(Fixtures.ca(), ALICE_CHAIN.get(1));
    }
}
