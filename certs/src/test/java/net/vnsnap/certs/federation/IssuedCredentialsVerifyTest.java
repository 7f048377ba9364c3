package net.vnsnap.certs.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.credential.VerifiedCredential;
import net.vnsnap.certs.speaksfor.SpeaksFor;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the local federation issues verifies with the same verifier the AM uses, and only for the right caller. */
class IssuedCredentialsVerifyTest {

    static final Clock ISSUED = Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC);
    static final Clock LATER = Clock.fixed(Instant.parse("2027-01-02T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    static Path dir;
    static LocalFederation fed;
    static CredentialVerifier verifier;
    static GeniUrn slice;

    @BeforeAll
    static void setUp() throws Exception {
        fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//verify", Duration.ofDays(3650), ISSUED);
        for (String u : new String[] {"alice", "bob", "carol"}) {
            fed.issueUser(u, null, Duration.ofDays(365));
        }
        verifier = new CredentialVerifier(TrustRoots.fromDirectory(fed.trustRootsDirectory(), LATER), LATER);
        slice = fed.sliceUrn("demo");
        fed.issueSliceCredential("alice", "demo", Duration.ofDays(7));
    }

    @Test
    void sliceCredentialVerifiesForItsOwnerAndSlice() throws Exception {
        String xml = Files.readString(fed.issueSliceCredential("alice", "demo", Duration.ofDays(7)));
        VerifiedCredential v = verifier.verify(xml, fed.user("alice").chain(), slice, Set.of(AmOperation.CREATE_SLIVER));
        assertEquals(GeniUrn.parse("urn:publicid:IDN+vnsnap:verify+user+alice"), v.owner());
        assertEquals(slice, v.target());
        assertEquals(1, v.chainDepth());
        CredentialException wrongCaller = assertThrows(CredentialException.class,
                () -> verifier.verify(xml, fed.user("bob").chain(), slice, Set.of(AmOperation.CREATE_SLIVER)));
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, wrongCaller.code());
    }

    @Test
    void threeLevelDelegationVerifiesAndNarrowsPrivileges() throws Exception {
        String root = Files.readString(fed.issueSliceCredential("alice", "demo", Duration.ofDays(7)));
        String toBob = fed.factory().delegate(root, fed.user("alice"), fed.user("bob").chain(), null, true, null);
        String toCarol = fed.factory().delegate(toBob, fed.user("bob"), fed.user("carol").chain(), Set.of("control"), false,
                ISSUED.instant().plus(Duration.ofDays(3)));
        VerifiedCredential v = verifier.verify(toCarol, fed.user("carol").chain(), slice, Set.of(AmOperation.GET_SLICE_RESOURCES));
        assertEquals(3, v.chainDepth());
        CredentialException noEmbed = assertThrows(CredentialException.class,
                () -> verifier.verify(toCarol, fed.user("carol").chain(), slice, Set.of(AmOperation.SHUTDOWN)));
        assertEquals(GeniCode.FORBIDDEN, noEmbed.code());
    }

    @Test
    void userCredentialAndSha1SignaturesVerify() throws Exception {
        String user = Files.readString(fed.userDirectory("alice").resolve("user-cred.xml"));
        VerifiedCredential v = verifier.verify(user, fed.user("alice").chain(), null, Set.of());
        assertEquals(v.owner(), v.target());
        String sha1 = fed.withAlgorithm(CredentialSigner.Algorithm.RSA_SHA1).factory().sliceCredential(fed.authority(),
                fed.user("bob").chain(), LocalFederation.readCertificates(fed.directory().resolve("slices/demo/cert.pem")),
                ISSUED.instant().plus(Duration.ofDays(2)));
        assertEquals(slice, verifier.verify(sha1, fed.user("bob").chain(), slice, Set.of()).target());
    }

    @Test
    void speaksForLetsTheToolActForTheUser() throws Exception {
        String xml = fed.factory().speaksFor(fed.user("alice"), fed.user("carol").certificate(),
                ISSUED.instant().plus(Duration.ofDays(2)));
        SpeaksForVerifier sf = new SpeaksForVerifier(TrustRoots.fromDirectory(fed.trustRootsDirectory(), LATER), LATER);
        SpeaksFor s = sf.verify(xml, fed.user("carol").chain(), GeniUrn.parse("urn:publicid:IDN+vnsnap:verify+user+alice"));
        assertEquals("urn:publicid:IDN+vnsnap:verify+user+alice", s.user().toString());
        assertTrue(s.expires().isAfter(LATER.instant()));
        CredentialException otherTool = assertThrows(CredentialException.class,
                () -> sf.verify(xml, fed.user("bob").chain(), GeniUrn.parse("urn:publicid:IDN+vnsnap:verify+user+alice")));
        assertTrue(otherTool.code() == GeniCode.CREDENTIAL_MISMATCH || otherTool.code() == GeniCode.CREDENTIAL_INVALID,
                otherTool.code().toString());
        assertTrue(otherTool.getMessage().toLowerCase().contains("tool") || otherTool.getMessage().contains("keyid"),
                otherTool.getMessage());
    }
}
