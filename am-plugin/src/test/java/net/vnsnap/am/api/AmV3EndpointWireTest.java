package net.vnsnap.am.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.InflaterInputStream;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import net.vnsnap.am.api.v2.AmV2Endpoint;
import net.vnsnap.am.api.v3.AmV3Endpoint;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The v3 wire layer over real TLS: exact XML-RPC types, the top-level geni_api, options checks, compression,
 * and errors as {code, value, output} structs, with a recording AM behind it.
 */
class AmV3EndpointWireTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2027-06-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    static Path dir;
    static SecureXmlRpcServer server;
    static SSLContext aliceTls;
    static URI url;
    /** What the recording AM was asked, in order. */
    static final List<String> CALLS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//wire", Duration.ofDays(3650), CLOCK);
        var am = fed.issueServer("am", List.of("localhost"), Duration.ofDays(3650));
        var alice = fed.issueUser("alice", null, Duration.ofDays(3650));
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), CLOCK), CLOCK, true);
        server = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0), TlsContexts.create(am, v),
                SecureXmlRpcServer.Limits.DEFAULT);
        url = URI.create("https://localhost:" + server.port() + "/");
        server.serve("/", new AmV3Endpoint(new RecordingAm(url, CALLS))).serve("/am/2.0", new AmV2Endpoint(new RecordingAm(url, CALLS))).start();
        aliceTls = TlsContexts.create(alice, v);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** POSTs a raw XML-RPC body and returns the raw response, to check the exact XML-RPC types. */
    static String raw(String body) throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) url.toURL().openConnection();
        c.setSSLSocketFactory(aliceTls.getSocketFactory());
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "text/xml");
        try (OutputStream os = c.getOutputStream()) {
            os.write(body.getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(200, c.getResponseCode());
        return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    static String call(String method, String params) throws Exception {
        return raw("<?xml version='1.0'?><methodCall><methodName>" + method + "</methodName><params>" + params
                + "</params></methodCall>");
    }

    static final String NO_CREDS = "<param><value><array><data></data></array></value></param>";

    static String options(String members) {
        return "<param><value><struct>" + members + "</struct></value></param>";
    }

    static String member(String name, String value) {
        return "<member><name>" + name + "</name><value>" + value + "</value></member>";
    }

    static final String GENI3 = member("geni_rspec_version", "<struct>" + member("type", "<string>GENI</string>")
            + member("version", "<string>3</string>") + "</struct>");

    @Test
    @SuppressWarnings("unchecked")
    void getVersionHasTheTypesOmniAndTheAcceptanceTestsExpect() throws Exception {
        String xml = call("GetVersion", "");
        assertFalse(xml.contains("<fault>"), xml);
        assertFalse(xml.contains("<nil"), xml);
        assertTrue(xml.matches("(?s).*<name>geni_api</name><value><i4>3</i4></value>.*"), xml);
        assertTrue(xml.contains("<name>geni_single_allocation</name><value><i4>0</i4></value>"), xml);
        assertTrue(xml.contains("<name>geni_code</name><value><i4>0</i4></value>"), xml);
        assertTrue(xml.contains("<name>output</name><value></value>") || xml.contains("<name>output</name><value/>"), xml);
        Map<String, Object> r = (Map<String, Object>) new SecureXmlRpcClient(url, aliceTls, 10_000).call("GetVersion");
        assertEquals(3, r.get("geni_api"), "top-level geni_api for v1 clients");
        Map<String, Object> value = (Map<String, Object>) r.get("value");
        Map<String, Object> urls = (Map<String, Object>) value.get("geni_api_versions");
        assertEquals(url.toString(), urls.get("3"));
        Object[] req = (Object[]) value.get("geni_request_rspec_versions");
        assertEquals("3", ((Map<String, Object>) req[0]).get("version"));
        assertEquals(List.of("http://vnsnap.net/rspec/ext/snapshot/1"),
                List.of((Object[]) ((Map<String, Object>) req[0]).get("extensions")));
        Object[] creds = (Object[]) value.get("geni_credential_types");
        assertEquals(3, creds.length);
        // And with the documented options argument.
        assertTrue(call("GetVersion", options("")).contains("<name>geni_api</name>"));
    }

    @Test
    void listResourcesRequiresAKnownRspecVersion() throws Exception {
        String missing = call("ListResources", NO_CREDS + options(""));
        assertTrue(missing.contains("<name>geni_code</name><value><i4>1</i4>"), missing);
        assertTrue(missing.contains("geni_rspec_version is required"), missing);
        String pg2 = call("ListResources", NO_CREDS + options(member("geni_rspec_version", "<struct>"
                + member("type", "<string>ProtoGENI</string>") + member("version", "<string>2</string>") + "</struct>")));
        assertTrue(pg2.contains("<name>geni_code</name><value><i4>4</i4>"), pg2);
        String ok = call("ListResources", NO_CREDS + options(GENI3));
        assertTrue(ok.contains("<name>geni_code</name><value><i4>0</i4>"), ok);
        assertTrue(ok.contains("type=&quot;advertisement&quot;") || ok.contains("type=\"advertisement\""), ok);
    }

    @Test
    @SuppressWarnings("unchecked")
    void compressedRspecsAreBase64Zlib() throws Exception {
        Map<String, Object> r = (Map<String, Object>) new SecureXmlRpcClient(url, aliceTls, 10_000).call("ListResources",
                new Object[0], Map.of("geni_rspec_version", Map.of("type", "GENI", "version", "3"), "geni_compressed", true));
        String b64 = (String) r.get("value");
        byte[] z = java.util.Base64.getDecoder().decode(b64);
        String text = new String(new InflaterInputStream(new ByteArrayInputStream(z)).readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("<rspec type=\"advertisement\""), text);
    }

    @Test
    void badArgumentsAndFailuresAreStructsNeverFaults() throws Exception {
        String wrongCount = call("Allocate", NO_CREDS);
        assertTrue(wrongCount.contains("Allocate takes (slice_urn, credentials, rspec, options)"), wrongCount);
        String wrongType = call("Status", "<param><value><string>not-an-array</string></value></param>" + NO_CREDS + options(""));
        assertTrue(wrongType.contains("urns must be an array"), wrongType);
        String badTime = call("Renew", "<param><value><array><data><value>urn:publicid:IDN+a+slice+s</value></data></array></value></param>"
                + NO_CREDS + "<param><value>next tuesday</value></param>" + options(""));
        assertTrue(badTime.contains("is not an RFC 3339 time"), badTime);
        String badCred = call("Status", "<param><value><array><data><value>urn:publicid:IDN+a+slice+s</value></data></array></value></param>"
                + "<param><value><array><data><value><i4>7</i4></value></data></array></value></param>" + options(""));
        assertTrue(badCred.contains("<name>geni_code</name><value><i4>20</i4>"), badCred);
        String unknownAction = call("PerformOperationalAction", "<param><value><array><data><value>urn:publicid:IDN+a+slice+s</value>"
                + "</data></array></value></param>" + NO_CREDS + "<param><value>vnsnap_frobnicate</value></param>" + options(""));
        assertTrue(unknownAction.contains("<name>geni_code</name><value><i4>13</i4>"), unknownAction);
        String crash = call("Shutdown", "<param><value>urn:publicid:IDN+a+slice+s</value></param>" + NO_CREDS + options(""));
        assertTrue(crash.contains("<name>geni_code</name><value><i4>5</i4>"), crash);
        String unknownMethod = call("CreateSliver", "");
        assertTrue(unknownMethod.contains("<name>geni_code</name><value><i4>13</i4>"), unknownMethod);
        for (String x : List.of(wrongCount, wrongType, badTime, badCred, unknownAction, crash, unknownMethod)) {
            assertFalse(x.contains("<fault>"), x);
            assertTrue(x.contains("<name>value</name><value></value>") || x.contains("<name>value</name><value/>"), x);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void sliverStructsAndActionStructsHaveTheirFields() throws Exception {
        SecureXmlRpcClient c = new SecureXmlRpcClient(url, aliceTls, 10_000);
        Map<String, Object> a = (Map<String, Object>) c.call("Allocate", "urn:publicid:IDN+vnsnap:wire+slice+s1", new Object[0],
                "<rspec/>", Map.of());
        Map<String, Object> value = (Map<String, Object>) a.get("value");
        Map<String, Object> sliver = (Map<String, Object>) ((Object[]) value.get("geni_slivers"))[0];
        assertEquals("2027-06-01T00:10:00+00:00", sliver.get("geni_expires"));
        assertEquals("geni_allocated", sliver.get("geni_allocation_status"));
        assertEquals("", sliver.get("geni_error"));
        Map<String, Object> poa = (Map<String, Object>) c.call("PerformOperationalAction",
                new Object[] {"urn:publicid:IDN+vnsnap:wire+slice+s1"}, new Object[0], "vnsnap_snapshot", Map.of());
        Map<String, Object> pv = (Map<String, Object>) poa.get("value");
        assertEquals("snap-1", pv.get("vnsnap_snapshot_id"));
        assertEquals(0, ((Object[]) pv.get("geni_slivers")).length);
        Map<String, Object> d = (Map<String, Object>) c.call("Describe", new Object[] {"urn:publicid:IDN+vnsnap:wire+slice+s1"},
                new Object[0], Map.of("geni_rspec_version", Map.of("type", "GENI", "version", "3"), "geni_compressed", true));
        String rspec = (String) ((Map<String, Object>) d.get("value")).get("geni_rspec");
        assertFalse(rspec.startsWith("<"), "compressed manifest");
        assertEquals("urn:publicid:IDN+vnsnap:wire+slice+s1", ((Map<String, Object>) d.get("value")).get("geni_urn"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void v2AdaptsToTheV3Implementation() throws Exception {
        SecureXmlRpcClient v2 = new SecureXmlRpcClient(URI.create(url + "am/2.0"), aliceTls, 10_000);
        Map<String, Object> version = (Map<String, Object>) v2.call("GetVersion");
        assertEquals(2, version.get("geni_api"));
        String slice = "urn:publicid:IDN+vnsnap:wire+slice+v2";
        CALLS.clear();
        Map<String, Object> created = (Map<String, Object>) v2.call("CreateSliver", slice, new Object[0], "<rspec/>",
                new Object[] {Map.of("urn", "urn:publicid:IDN+vnsnap:wire+user+alice", "keys", new Object[] {"ssh-ed25519 AAAA"})},
                Map.of());
        assertEquals("<rspec type=\"manifest\"/>", created.get("value"));
        assertEquals(List.of("Allocate " + slice + " 8", "Provision [" + slice + "] users=1", "POA geni_start best-effort"), CALLS);
        Map<String, Object> st = (Map<String, Object>) ((Map<String, Object>) v2.call("SliverStatus", slice, new Object[0],
                Map.of())).get("value");
        assertEquals("configuring", st.get("geni_status"), "a slice is as ready as its least ready sliver");
        Object[] res = (Object[]) st.get("geni_resources");
        assertEquals("ready", ((Map<String, Object>) res[0]).get("geni_status"));
        assertEquals(Boolean.TRUE, ((Map<String, Object>) v2.call("RenewSliver", slice, new Object[0], "2027-06-02T00:00:00Z",
                Map.of())).get("value"));
        assertEquals(Boolean.TRUE, ((Map<String, Object>) v2.call("DeleteSliver", slice, new Object[0], Map.of())).get("value"));
        String manifest = (String) ((Map<String, Object>) v2.call("ListResources", new Object[0],
                Map.of("geni_rspec_version", Map.of("type", "GENI", "version", "3"), "geni_slice_urn", slice))).get("value");
        assertTrue(manifest.startsWith("<rspec type=\"manifest\">"), manifest);
        Map<String, Object> unknown = (Map<String, Object>) v2.call("Allocate", slice, new Object[0], "<rspec/>", Map.of());
        assertEquals(13, ((Map<String, Object>) unknown.get("code")).get("geni_code"));
    }
}
