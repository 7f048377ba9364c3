package net.vnsnap.certs.credential;

import static net.vnsnap.certs.testkit.Fixtures.at;
import static net.vnsnap.certs.testkit.Fixtures.urn;
import static org.junit.jupiter.api.Assertions.*;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.testkit.Fixtures;
import net.vnsnap.certs.testkit.TestCredentials;
import net.vnsnap.certs.testkit.TestCredentials.Grant;
import net.vnsnap.certs.testkit.TestCredentials.Level;
import net.vnsnap.certs.testkit.TestFederation;
import net.vnsnap.certs.testkit.TestPki;
import net.vnsnap.certs.testkit.TestPki.Identity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Credentials from our own CA: deeper delegation, broken delegation rules, untrusted and non-CA issuers, rights. */
class DelegationTest {

    private static final Instant NOW = Fixtures.VALID;
    private static TestFederation fed;
    private static CredentialVerifier verifier;

    @BeforeAll
    static void setUp() {
        fed = new TestFederation();
        verifier = new CredentialVerifier(TrustRoots.of(List.of(fed.ca.cert())), at(NOW));
    }

    private static CredentialException refused(String xml, Identity caller, CredentialFailure reason, String part) {
        CredentialException e = assertThrows(CredentialException.class,
                () -> verifier.verify(xml, caller == null ? null : caller.chain(), null, Set.of()));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        return e;
    }

    private static List<Grant> grants(String... names) {
        return java.util.Arrays.stream(names).map(n -> new Grant(n, true)).toList();
    }

    @Test
    void threeLevelDelegationVerifiesForCarolWithSha256AndSha1() throws Exception {
        for (String alg : List.of(TestCredentials.RSA_SHA256, TestCredentials.RSA_SHA1)) {
            String xml = fed.threeLevels(alg);
            VerifiedCredential vc = verifier.verify(xml, fed.carol.chain(), urn(TestFederation.SLICE), Set.of(AmOperation.CREATE_SLIVER));
            assertEquals(3, vc.chainDepth());
            assertEquals(urn("urn:publicid:IDN+vnsnap:test+user+carol"), vc.owner());
            assertFalse(vc.allows(AmOperation.SHUTDOWN), "control and info do not grant shutdown");
            CredentialException e = assertThrows(CredentialException.class,
                    () -> verifier.verify(xml, fed.carol.chain(), null, Set.of(AmOperation.SHUTDOWN)));
            assertEquals(GeniCode.FORBIDDEN, e.code());
            assertEquals(GeniCode.CREDENTIAL_MISMATCH, assertThrows(CredentialException.class,
                    () -> verifier.verify(xml, fed.bob.chain(), null, Set.of())).code());
        }
    }

    @Test
    void credentialFromAnUntrustedCaIsRefused() {
        TestFederation other = new TestFederation();
        CredentialException e = refused(other.threeLevels(TestCredentials.RSA_SHA256), null, CredentialFailure.UNTRUSTED_SIGNER,
                "does not chain to a trusted root");
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, e.code());
    }

    @Test
    void ownerCertificateIssuedByANonCaIsRefused() {
        Identity notCa = TestPki.issue(fed.ca, "urn:publicid:IDN+vnsnap:test+user+mallory", false);
        Identity dave = TestPki.issue(notCa, "urn:publicid:IDN+vnsnap:test+user+dave", false);
        String xml = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE,
                List.of(new Level(dave, TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS)), TestCredentials.RSA_SHA256);
        CredentialException e = refused(xml, null, CredentialFailure.UNTRUSTED_SIGNER, "is not a CA");
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, e.code());
        assertTrue(e.getMessage().contains("owner_gid"), e.getMessage());
    }

    @Test
    void signerMustBeAnAuthorityForTheTarget() {
        // A trusted CA of another namespace signs a credential for our slice.
        Identity foreign = TestPki.ca("elsewhere:org");
        CredentialVerifier both = new CredentialVerifier(TrustRoots.of(List.of(fed.ca.cert(), foreign.cert())), at(NOW));
        String xml = TestCredentials.chain(foreign, fed.slice, TestFederation.SLICE,
                List.of(new Level(fed.alice, TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS)), TestCredentials.RSA_SHA256);
        CredentialException e = assertThrows(CredentialException.class, () -> both.verify(xml, null, null, Set.of()));
        assertEquals(CredentialFailure.UNTRUSTED_SIGNER, e.reason());
        assertTrue(e.getMessage().contains("not an authority for " + TestFederation.SLICE), e.getMessage());
    }

    @Test
    void delegationMayNotWidenPrivileges() {
        String xml = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE, List.of(
                new Level(fed.alice, TestFederation.EXPIRES, List.of(new Grant("info", true), new Grant("control", false))),
                new Level(fed.bob, TestFederation.EXPIRES, List.of(new Grant("control", false)))), TestCredentials.RSA_SHA256);
        refused(xml, fed.bob, CredentialFailure.BAD_DELEGATION, "privilege 'control'");
        String wider = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE, List.of(
                new Level(fed.alice, TestFederation.EXPIRES, grants("info")),
                new Level(fed.bob, TestFederation.EXPIRES, grants("embed"))), TestCredentials.RSA_SHA256);
        refused(wider, fed.bob, CredentialFailure.BAD_DELEGATION, "privilege 'embed'");
    }

    @Test
    void delegationMayNotOutliveItsParent() {
        String xml = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE, List.of(
                new Level(fed.alice, TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS),
                new Level(fed.bob, TestFederation.EXPIRES.plusSeconds(1), grants("info"))), TestCredentials.RSA_SHA256);
        refused(xml, fed.bob, CredentialFailure.BAD_DELEGATION, "after its parent");
    }

    @Test
    void delegationMustBeSignedByTheParentsOwner() {
        List<Level> levels = List.of(new Level(fed.alice, TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS),
                new Level(fed.bob, TestFederation.EXPIRES, grants("info")));
        // carol, a trusted user, signs the delegation that only alice may sign.
        String xml = TestCredentials.chain(List.of(fed.ca, fed.carol), List.of(fed.slice, fed.slice), levels, TestCredentials.RSA_SHA256);
        refused(xml, fed.bob, CredentialFailure.BAD_SIGNATURE, "Sig_ref1 does not verify");
    }

    @Test
    void delegationMustKeepTheTarget() {
        Identity other = TestPki.issue(fed.ca, "urn:publicid:IDN+vnsnap:test+slice+s2", false);
        List<Level> levels = List.of(new Level(fed.alice, TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS),
                new Level(fed.bob, TestFederation.EXPIRES, grants("info")));
        String xml = TestCredentials.chain(List.of(fed.ca, fed.alice), List.of(fed.slice, other), levels, TestCredentials.RSA_SHA256);
        refused(xml, fed.bob, CredentialFailure.BAD_DELEGATION, "slice+s2");
    }

    @Test
    void ownerUrnMustNameTheOwnerCertificate() {
        // Correctly signed by the authority, but owner_urn says bob while owner_gid is alice's certificate.
        String xml = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE, List.of(new Level(fed.alice,
                TestFederation.EXPIRES, TestCredentials.SLICE_GRANTS, TestCredentials.urnOf(fed.bob))), TestCredentials.RSA_SHA256);
        CredentialException e = refused(xml, null, CredentialFailure.INCONSISTENT, "owner_urn urn:publicid:IDN+vnsnap:test+user+bob");
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code());
    }

    @Test
    void rightsTableMapsPrivilegesToOperations() throws Exception {
        record Case(String privilege, Set<AmOperation> allowed, Set<AmOperation> denied) {
        }
        Set<AmOperation> sliverOps = Set.of(AmOperation.CREATE_SLIVER, AmOperation.RENEW_SLIVER, AmOperation.DELETE_SLICE,
                AmOperation.GET_SLICE_RESOURCES);
        List<Case> cases = List.of(
                new Case("embed", union(sliverOps, AmOperation.SHUTDOWN), Set.of(AmOperation.LIST_SLICES)),
                new Case("control", sliverOps, Set.of(AmOperation.SHUTDOWN)),
                new Case("sa", sliverOps, Set.of(AmOperation.SHUTDOWN)),
                new Case("*", union(sliverOps, AmOperation.SHUTDOWN), Set.of()),
                new Case("info", Set.of(AmOperation.LIST_RESOURCES, AmOperation.LIST_SLICES), union(sliverOps, AmOperation.SHUTDOWN)),
                new Case("refresh", Set.of(AmOperation.LIST_RESOURCES), union(sliverOps, AmOperation.SHUTDOWN)),
                new Case("bind", Set.of(AmOperation.GET_TICKET), union(sliverOps, AmOperation.SHUTDOWN)));
        for (Case c : cases) {
            String xml = TestCredentials.chain(fed.ca, fed.slice, TestFederation.SLICE,
                    List.of(new Level(fed.alice, TestFederation.EXPIRES, grants(c.privilege))), TestCredentials.RSA_SHA256);
            assertNotNull(verifier.verify(xml, fed.alice.chain(), null, c.allowed), c.privilege);
            for (AmOperation op : c.denied) {
                CredentialException e = assertThrows(CredentialException.class,
                        () -> verifier.verify(xml, fed.alice.chain(), null, Set.of(op)), c.privilege + " / " + op);
                assertEquals(GeniCode.FORBIDDEN, e.code());
                assertTrue(e.getMessage().contains(op.tableName()), e.getMessage());
            }
        }
    }

    private static Set<AmOperation> union(Set<AmOperation> a, AmOperation b) {
        java.util.EnumSet<AmOperation> s = java.util.EnumSet.copyOf(a);
        s.add(b);
        return s;
    }
}
