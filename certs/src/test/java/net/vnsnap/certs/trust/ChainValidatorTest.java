package net.vnsnap.certs.trust;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import net.vnsnap.certs.testkit.MutableClock;
import net.vnsnap.certs.testkit.TestPki;
import net.vnsnap.certs.testkit.TestPki.Identity;
import org.junit.jupiter.api.Test;

/** Chain building from roots plus supplied intermediates, and a cache that never keeps failures or outlives validity. */
class ChainValidatorTest {

    private static final X509Certificate ALICE = chain("alice-cert.pem").get(0);
    private static final X509Certificate BOB = chain("bob-cert.pem").get(0);

    @Test
    void fixtureUsersChainToTheClearinghouse() throws ChainException {
        ChainValidator v = new ChainValidator(roots(), at(VALID), true);
        ValidatedChain c = v.validate(ALICE, List.of());
        assertEquals(List.of(ALICE, ca()), c.path());
        assertEquals(ca(), c.root());
        assertEquals(List.of(ca()), v.validate(ca(), List.of()).path(), "a root is trusted as itself");
    }

    @Test
    void failureIsNeverCachedAndSuccessEndsAtExpiry() throws ChainException {
        MutableClock clock = new MutableClock(BEFORE_BOB);
        ChainValidator v = new ChainValidator(roots(), clock, true);
        ChainException early = assertThrows(ChainException.class, () -> v.validate(BOB, List.of()));
        assertEquals(ChainException.Reason.NOT_YET_VALID, early.reason());
        assertEquals(0, v.cachedChains());

        clock.set(VALID);
        assertEquals(BOB, v.validate(BOB, List.of()).leaf());
        assertEquals(1, v.cachedChains());
        assertSame(v.validate(BOB, List.of()), v.validate(BOB, List.of()), "second call is served from the cache");

        clock.set(Instant.parse("2031-11-25T12:56:21Z"));
        ChainException late = assertThrows(ChainException.class, () -> v.validate(BOB, List.of()));
        assertEquals(ChainException.Reason.EXPIRED, late.reason());
        assertTrue(late.getMessage().contains("expired at 2031-11-25T12:5"), late.getMessage());
        assertEquals(0, v.cachedChains(), "an entry past its window is dropped");

        clock.set(Instant.parse("2031-11-25T12:56:00Z"));
        ChainException caExpired = assertThrows(ChainException.class, () -> v.validate(BOB, List.of()));
        assertTrue(caExpired.getMessage().contains("geni:gpo:gcf+authority+sa"), "the CA expired first: " + caExpired.getMessage());
    }

    @Test
    void intermediatesComeFromTheCallerNotFromTheLeaf() throws ChainException {
        Identity root = TestPki.ca("deep:root");
        Identity mid = TestPki.issue(root, "urn:publicid:IDN+deep:root+authority+sa", true);
        Identity user = TestPki.issue(mid, "urn:publicid:IDN+deep:root+user+u", false);
        ChainValidator v = new ChainValidator(TrustRoots.of(List.of(root.cert())), at(VALID), false);
        assertEquals(3, v.validate(user.cert(), List.of(mid.cert())).path().size());
        ChainException e = assertThrows(ChainException.class, () -> v.validate(user.cert(), List.of()));
        assertEquals(ChainException.Reason.UNTRUSTED, e.reason());
    }

    @Test
    void nonCaIssuerBreaksTheChain() {
        Identity root = TestPki.ca("nonca:root");
        Identity leafIssuer = TestPki.issue(root, "urn:publicid:IDN+nonca:root+user+m", false);
        Identity victim = TestPki.issue(leafIssuer, "urn:publicid:IDN+nonca:root+user+v", false);
        ChainValidator v = new ChainValidator(TrustRoots.of(List.of(root.cert())), at(VALID), true);
        ChainException e = assertThrows(ChainException.class, () -> v.validate(victim.cert(), List.of(leafIssuer.cert())));
        assertEquals(ChainException.Reason.ISSUER_NOT_CA, e.reason());
        assertEquals(0, v.cachedChains());
    }

    @Test
    void sameSubjectNameIsNotEnough() {
        // A CA whose subject equals the clearinghouse's (and, like every gcf cert, serial 3) but with another key.
        Identity impostor = TestPki.ca("geni//gpo//gcf");
        assertEquals("CN=geni//gpo//gcf.authority.sa", impostor.cert().getSubjectX500Principal().getName());
        assertEquals(ca().getSubjectX500Principal(), impostor.cert().getSubjectX500Principal());
        ChainValidator v = new ChainValidator(TrustRoots.of(List.of(impostor.cert())), at(VALID), true);
        ChainException e = assertThrows(ChainException.class, () -> v.validate(ALICE, List.of()));
        assertEquals(ChainException.Reason.UNTRUSTED, e.reason());
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
        assertThrows(ChainException.class, () -> v.validate(ca(), List.of()));
    }
}
