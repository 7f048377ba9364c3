package net.vnsnap.am.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.am.api.Options;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.credential.CredentialEnvelope;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The authorizer with the reference clearinghouse's credentials and our own federation's speaks-for credentials. */
class CallAuthorizerTest {

    static final Clock NOW = Clock.fixed(Instant.parse("2027-06-01T00:00:00Z"), ZoneOffset.UTC);
    static final Clock LATE = Clock.fixed(Instant.parse("2030-11-25T12:56:11Z"), ZoneOffset.UTC);
    static final Path FIX = Path.of(System.getProperty("vnsnap.shared"), "geni-fixtures");
    static final GeniUrn SLICE = urn("urn:publicid:IDN+geni:gpo:gcf+slice+fixture2");

    @TempDir
    static Path dir;
    static Path roots;
    static RpcCaller alice;
    static RpcCaller bob;
    static String sliceCred;
    static String userCred;
    static String bobCred;

    @BeforeAll
    static void setUp() throws Exception {
        roots = dir.resolve("roots");
        Files.createDirectories(roots);
        Files.copy(FIX.resolve("ch-cert.pem"), roots.resolve("ch-cert.pem"));
        alice = caller(FIX.resolve("alice-cert.pem"));
        bob = caller(FIX.resolve("bob-cert.pem"));
        sliceCred = Files.readString(FIX.resolve("slice-cred-fixture2.xml"));
        userCred = Files.readString(FIX.resolve("user-cred-alice.xml"));
        bobCred = Files.readString(FIX.resolve("slice-cred-fixture2-delegated-to-bob.xml"));
    }

    static GeniUrn urn(String s) {
        try {
            return GeniUrn.parse(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static RpcCaller caller(Path certFile) throws Exception {
        var chain = GeniCertificate.readChain(certFile);
        return new RpcCaller(chain, GeniCertificate.of(chain.get(0)).urn().orElseThrow());
    }

    static CallAuthorizer authorizer(Path trustRoots, Clock clock) throws Exception {
        TrustRoots t = TrustRoots.fromDirectory(trustRoots, clock);
        return new CallAuthorizer(new CredentialVerifier(t, clock), new SpeaksForVerifier(t, clock));
    }

    static ApiCall call(RpcCaller who, Map<String, Object> options, String... creds) {
        return new ApiCall(who, java.util.Arrays.stream(creds).map(x -> new CredentialEnvelope("geni_sfa", "3", x)).toList(),
                new Options(options));
    }

    @Test
    void theSliceCredentialIsChosenAmongSeveral() throws Exception {
        var a = authorizer(roots, NOW).authorize(call(alice, Map.of(), userCred, sliceCred), SLICE, AmOperation.CREATE_SLIVER);
        assertEquals(alice.urn(), a.actor());
        assertEquals(SLICE, a.credential().orElseThrow().target());
        assertTrue(a.tool().isEmpty());
    }

    @Test
    void aDelegatedCredentialAuthorizesItsDelegatee() throws Exception {
        var a = authorizer(roots, NOW).authorize(call(bob, Map.of(), bobCred), SLICE, AmOperation.GET_SLICE_RESOURCES);
        assertEquals(bob.urn(), a.actor());
        assertEquals(2, a.credential().orElseThrow().chainDepth());
    }

    @Test
    void onlyAUserCredentialForASliceCallIsAMismatch() throws Exception {
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of(), userCred), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, e.code());
    }

    @Test
    void someoneElsesCredentialIsAMismatch() throws Exception {
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(bob, Map.of(), sliceCred), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("user+alice"), e.getMessage());
    }

    @Test
    void anExpiredSliceCredentialIsReportedAsExpired() throws Exception {
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, LATE).authorize(call(alice, Map.of(), userCred, sliceCred), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_EXPIRED, e.code());
    }

    @Test
    void aTamperedCredentialRefusesTheCallEvenBesideAValidOne() throws Exception {
        String tampered = sliceCred.replace("slice+fixture2<", "slice+fixture3<");
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of(), tampered, sliceCred), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code());
        GeniException after = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of(), sliceCred, tampered), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_INVALID, after.code());
        GeniException junk = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of(), sliceCred, "<nonsense/>"), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_INVALID, junk.code());
        GeniException lr = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of(), "<not-a-credential/>"), null, AmOperation.LIST_RESOURCES));
        assertEquals(GeniCode.CREDENTIAL_INVALID, lr.code());
    }

    @Test
    void anUnknownCredentialTypeIsRefusedNotIgnored() throws Exception {
        ApiCall c = new ApiCall(alice, List.of(new CredentialEnvelope("geni_sfa", "3", sliceCred),
                new CredentialEnvelope("ucl_magic", "1", "<x/>")), Options.empty());
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(c, SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code());
        assertTrue(e.getMessage().contains("credential 2"), e.getMessage());
    }

    @Test
    void listResourcesNeedsNoCredentialButSliceCallsDo() throws Exception {
        var a = authorizer(roots, NOW).authorize(call(alice, Map.of()), null, AmOperation.LIST_RESOURCES);
        assertEquals(alice.urn(), a.actor());
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(roots, NOW).authorize(call(alice, Map.of()), SLICE, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.FORBIDDEN, e.code());
    }

    @Test
    void aToolSpeaksForAUserWithAValidSpeaksForCredential() throws Exception {
        Clock issued = Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC);
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//sf", Duration.ofDays(3650), issued);
        fed.issueUser("alice", null, Duration.ofDays(365));
        fed.issueUser("tool", null, Duration.ofDays(365));
        String sliceXml = Files.readString(fed.issueSliceCredential("alice", "s1", Duration.ofDays(30)));
        String sf = fed.factory().speaksFor(fed.user("alice"), fed.user("tool").certificate(), issued.instant().plus(Duration.ofDays(10)));
        RpcCaller tool = new RpcCaller(fed.user("tool").chain(), urn("urn:publicid:IDN+vnsnap:sf+user+tool"));
        GeniUrn s1 = fed.sliceUrn("s1");
        Clock later = Clock.fixed(Instant.parse("2027-01-02T00:00:00Z"), ZoneOffset.UTC);
        ApiCall c = new ApiCall(tool, List.of(new CredentialEnvelope("geni_sfa", "3", sliceXml),
                new CredentialEnvelope("geni_abac", "1", sf)), new Options(Map.of("geni_speaking_for",
                        "urn:publicid:IDN+vnsnap:sf+user+alice")));
        var a = authorizer(fed.trustRootsDirectory(), later).authorize(c, s1, AmOperation.CREATE_SLIVER);
        assertEquals(urn("urn:publicid:IDN+vnsnap:sf+user+alice"), a.actor());
        assertEquals(tool.urn(), a.tool().orElseThrow());
        // Without the speaks-for credential the tool cannot use alice's slice credential.
        ApiCall noSf = new ApiCall(tool, List.of(new CredentialEnvelope("geni_sfa", "3", sliceXml)),
                new Options(Map.of("geni_speaking_for", "urn:publicid:IDN+vnsnap:sf+user+alice")));
        GeniException e = assertThrows(GeniException.class,
                () -> authorizer(fed.trustRootsDirectory(), later).authorize(noSf, s1, AmOperation.CREATE_SLIVER));
        assertEquals(GeniCode.CREDENTIAL_INVALID, e.code());
        ApiCall plain = new ApiCall(tool, List.of(new CredentialEnvelope("geni_sfa", "3", sliceXml)), Options.empty());
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, assertThrows(GeniException.class,
                () -> authorizer(fed.trustRootsDirectory(), later).authorize(plain, s1, AmOperation.CREATE_SLIVER)).code());
        ApiCall otherUser = new ApiCall(tool, c.credentials(), new Options(Map.of("geni_speaking_for",
                "urn:publicid:IDN+vnsnap:sf+user+bob")));
        assertEquals(GeniCode.CREDENTIAL_MISMATCH, assertThrows(GeniException.class,
                () -> authorizer(fed.trustRootsDirectory(), later).authorize(otherUser, s1, AmOperation.CREATE_SLIVER)).code());
    }
}
