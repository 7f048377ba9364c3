package net.vnsnap.geni.am;

import static net.vnsnap.geni.am.Calls.code;
import static net.vnsnap.geni.am.Calls.ok;
import static net.vnsnap.geni.testbed.LocalTestbed.GENI3;
import static net.vnsnap.geni.testbed.LocalTestbed.credential;
import static net.vnsnap.geni.testbed.LocalTestbed.credentials;
import static net.vnsnap.geni.testbed.LocalTestbed.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.LocalTestbed;
import org.apache.xmlrpc.XmlRpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to a running vnsnap-am over real TLS: each is answered as GENI says, and nothing changes in the AM
 * (the victim slice stays unknown, the hosts run no VM, both hosts are still advertised).
 */
class AmBadInputTest {

    @TempDir
    static Path tmp;
    static LocalTestbed bed;
    static SecureXmlRpcClient v3;
    static String slice;
    static String goodCred;
    static String authority;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = LocalTestbed.start(tmp);
        v3 = bed.v3();
        slice = bed.sliceUrn("victim");
        goodCred = bed.sliceCredential("victim");
        authority = bed.amUrn().split("\\+")[1];
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    /** After every case: the slice is unknown, no VM runs, and the advertisement still offers both hosts. */
    @AfterEach
    void nothingChanged() throws Exception {
        Object status = v3.call("Status", new Object[] {slice}, credentials(goodCred), options());
        if (code(status) == 0) {
            v3.call("Delete", new Object[] {slice}, credentials(goodCred), options());
        }
        assertEquals(12, code(status), "the slice must stay unknown");
        assertEquals(Set.of(), bed.vmsOnHosts());
        String ad = (String) ok(v3.call("ListResources", credentials(), options("geni_rspec_version", GENI3, "geni_available", true)));
        assertTrue(ad.contains("+node+hostd1") && ad.contains("+node+hostd2"), ad);
    }

    Object allocate(Object[] creds, String rspec) throws XmlRpcException {
        Object r = v3.call("Allocate", slice, creds, rspec, options());
        System.out.println("bad input answer: " + r);
        return r;
    }

    String request() {
        return Requests.twoHostLan(bed.amUrn(), authority);
    }

    @Test
    void aClientWithoutCertificateIsRefusedInTheHandshake() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (var c : LocalFederation.readCertificates(bed.federation().trustRootsDirectory().toFile().listFiles()[0].toPath())) {
            ks.setCertificateEntry("root" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext anonymous = SSLContext.getInstance("TLSv1.3");
        anonymous.init(null, tmf.getTrustManagers(), null);
        XmlRpcException e = assertThrows(XmlRpcException.class,
                () -> new SecureXmlRpcClient(bed.am().url(), anonymous, 30_000).call("GetVersion"));
        System.out.println("no client certificate: " + e + " / " + e.getCause());
    }

    @Test
    void anUntrustedCertificateIsRefusedInTheHandshake() throws Exception {
        LocalFederation evil = LocalFederation.create(tmp.resolve("evil"), "vnsnap//evil", Duration.ofDays(2), Clock.systemUTC());
        Identity mallory = evil.issueUser("mallory", "m@example.org", Duration.ofDays(2));
        SecureXmlRpcClient c = new SecureXmlRpcClient(bed.am().url(), LocalTestbed.tls(mallory, bed.federation().trustRootsDirectory()),
                30_000);
        XmlRpcException e = assertThrows(XmlRpcException.class, () -> c.call("GetVersion"));
        System.out.println("untrusted certificate: " + e + " / " + e.getCause());
    }

    @Test
    void aCredentialForAnotherSliceIsAMismatch() throws Exception {
        assertEquals(22, code(allocate(credentials(bed.sliceCredential("other")), request())));
    }

    @Test
    void anExpiredCredentialIsRefused() throws Exception {
        LocalFederation f = bed.federation();
        var sliceCert = LocalFederation.readCertificates(f.directory().resolve("slices/victim/cert.pem"));
        String expired = f.factory().sliceCredential(f.authority(), bed.alice().chain(), sliceCert, Instant.now().minusSeconds(60));
        assertEquals(21, code(allocate(credentials(expired), request())));
    }

    @Test
    void malformedAndUnknownTypeCredentialsRefuseTheCall() throws Exception {
        assertEquals(20, code(allocate(credentials("<signed-credential><credential"), request())));
        int unknownType = code(allocate(new Object[] {credential("geni_frob", "1", goodCred)}, request()));
        assertTrue(unknownType == 1 || unknownType == 20, "unknown type answered " + unknownType);
        int notAStruct = code(allocate(new Object[] {42}, request()));
        assertTrue(notAStruct == 1 || notAStruct == 20, "a credential that is no struct answered " + notAStruct);
    }

    @Test
    void listResourcesWithoutRspecVersionIsBadArgs() throws Exception {
        assertEquals(1, code(v3.call("ListResources", credentials(), options())));
    }

    @Test
    void malformedAndSemanticallyBadRspecsAreBadArgs() throws Exception {
        assertEquals(1, code(allocate(credentials(goodCred), "<rspec type=\"request\"><node")));
        assertEquals(1, code(allocate(credentials(goodCred), request().replace("server:if0\"/>", "nobody:if9\"/>"))));
        assertEquals(1, code(allocate(credentials(goodCred), request().replace("qemu-vm", "raw-pc"))));
        assertEquals(1, code(allocate(credentials(goodCred), request().replace("mode=\"live\"", "mode=\"teleport\""))));
        assertEquals(1, code(allocate(credentials(goodCred), request().replace("hostd2", "hostd9"))));
    }

    @Test
    void anUnknownMethodAndAnUnknownActionAreAnswered() throws Exception {
        Object r = v3.call("PerformOperationalAction", new Object[] {slice}, credentials(goodCred), "geni_frobnicate", options());
        System.out.println("unknown action on an unknown slice: " + r);
        assertTrue(code(r) == 12 || code(r) == 13, r.toString());
        Object unknown = v3.call("NoSuchMethod");
        System.out.println("unknown method: " + unknown);
        assertTrue(code(unknown) != 0, unknown.toString());
    }

    @Test
    void xxeAndEntityExpansionInTheRequestBodyAreRefused() throws Exception {
        SSLContext alice = bed.aliceTls();
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                + "<methodCall><methodName>GetVersion</methodName><params><param><value><string>&xxe;</string></value></param>"
                + "</params></methodCall>";
        String a = Calls.rawPost(bed.am().url(), alice, xxe.getBytes(StandardCharsets.UTF_8));
        System.out.println("XXE body: " + a.substring(0, Math.min(300, a.length())));
        assertFalse(a.contains("root:"), a);
        assertFalse(a.contains("geni_api_versions"), "a DOCTYPE body must not be served: " + a);

        StringBuilder lol = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        lol.append("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">");
        for (int i = 2; i <= 9; i++) {
            lol.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i - 1) + ";").repeat(10)).append("\">");
        }
        lol.append("]>\n<methodCall><methodName>GetVersion</methodName><params><param><value><string>&lol9;</string></value>"
                + "</param></params></methodCall>");
        long t0 = System.nanoTime();
        String b = Calls.rawPost(bed.am().url(), alice, lol.toString().getBytes(StandardCharsets.UTF_8));
        System.out.println("entity expansion body: " + b.substring(0, Math.min(300, b.length())));
        assertFalse(b.contains("lollol"), "entities must not be expanded");
        assertFalse(b.contains("geni_api_versions"), b);
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "answered at once");
    }

    @Test
    void xxeInsideAnRspecIsBadArgs() throws Exception {
        String rspec = "<?xml version=\"1.0\"?>\n<!DOCTYPE rspec [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                + request().substring(request().indexOf("<rspec")).replace("lan0", "&xxe;");
        Object r = allocate(credentials(goodCred), rspec);
        assertEquals(1, code(r));
        assertFalse(r.toString().contains("root:"), r.toString());
    }

    @Test
    void anOversizedBodyIsRefused() throws Exception {
        byte[] big = new byte[9 << 20];
        byte[] head = "<?xml version=\"1.0\"?><methodCall><methodName>GetVersion</methodName><params><param><value><string>"
                .getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(big, (byte) 'a');
        System.arraycopy(head, 0, big, 0, head.length);
        String a = Calls.rawPost(bed.am().url(), bed.aliceTls(), big);
        System.out.println("oversized body: " + a.substring(0, Math.min(200, a.length())));
        assertFalse(a.startsWith("200"), a.substring(0, Math.min(200, a.length())));
        // The AM still serves afterwards.
        assertEquals(3, Calls.struct(ok(v3.call("GetVersion"))).get("geni_api"));
    }

    @Test
    void theWholeCallIsRefusedWhenOneCredentialIsBad() throws Exception {
        Object r = allocate(new Object[] {credentials(goodCred)[0], credential("geni_sfa", "3", "<nonsense/>")}, request());
        assertEquals(20, code(r), r.toString());
    }
}
