package net.vnsnap.certs.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secure XML-RPC transport over real TLS on loopback, with well-formed and hostile requests. */
class SecureXmlRpcServerTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2027-06-01T00:00:00Z"), ZoneOffset.UTC);
    static final long CAP = 64 * 1024;

    @TempDir
    static Path dir;
    static SecureXmlRpcServer server;
    static SSLContext aliceTls;
    static URI url;

    /** Echoes who called and the Java types of the parameters; "boom" throws. */
    static final RpcEndpoint ECHO = new RpcEndpoint() {
        @Override
        public Object call(RpcCaller caller, String method, List<Object> params) {
            if (method.equals("boom")) {
                throw new IllegalStateException("kaput");
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("caller", caller.urn().toString());
            r.put("method", method);
            List<Object> types = new ArrayList<>();
            for (Object p : params) {
                types.add(p.getClass().getSimpleName());
            }
            r.put("types", types);
            r.put("count", params.size());
            r.put("flag", Boolean.TRUE);
            r.put("params", params);
            return r;
        }

        @Override
        public Object badRequest(String reason) {
            return Map.of("code", Map.of("geni_code", 1), "value", "", "output", reason);
        }

        @Override
        public Object internalError(String method, Exception e) {
            return Map.of("code", Map.of("geni_code", 5), "value", "", "output", method + " failed: " + e.getMessage());
        }
    };

    @BeforeAll
    static void start() throws Exception {
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//rpc", Duration.ofDays(3650), CLOCK);
        Identity am = fed.issueServer("am", List.of("localhost", "127.0.0.1"), Duration.ofDays(3650));
        Identity alice = fed.issueUser("alice", null, Duration.ofDays(3650));
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), CLOCK), CLOCK, true);
        server = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0), TlsContexts.create(am, v),
                new SecureXmlRpcServer.Limits(CAP, 4, 16));
        server.serve("/", ECHO).serve("/am/2.0", ECHO).start();
        aliceTls = TlsContexts.create(alice, v);
        url = URI.create("https://localhost:" + server.port() + "/");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void callsCarryTheCallerAndKeepXmlRpcTypes() throws Exception {
        SecureXmlRpcClient c = new SecureXmlRpcClient(url, aliceTls, 10_000);
        Map<String, Object> r = (Map<String, Object>) c.call("Echo", 3, true, "s", List.of(1, 2), Map.of("k", "v"));
        assertEquals("urn:publicid:IDN+vnsnap:rpc+user+alice", r.get("caller"));
        assertEquals(List.of("Integer", "Boolean", "String", "Object[]", "HashMap"), List.of((Object[]) r.get("types")));
        assertEquals(5, r.get("count"));
        assertEquals(Boolean.TRUE, r.get("flag"));
        Map<String, Object> v2 = (Map<String, Object>) new SecureXmlRpcClient(URI.create(url + "am/2.0"), aliceTls, 10_000)
                .call("GetVersion");
        assertEquals(0, v2.get("count"), "a call with no parameters at all, as Omni sends GetVersion");
    }

    @Test
    void anEndpointFailureIsAnOrdinaryResponseNotAFault() throws Exception {
        String body = post("/", "<?xml version='1.0'?><methodCall><methodName>boom</methodName><params></params></methodCall>");
        assertFalse(body.contains("<fault>"), body);
        assertTrue(body.contains("boom failed: kaput"), body);
    }

    @Test
    void malformedRequestsAreAnsweredByTheEndpointWithAPosition() throws Exception {
        String body = post("/", "<methodCall><methodName>x</methodName><params><param><value><i4>1</value></param></params></methodCall>");
        assertFalse(body.contains("<fault>"), body);
        assertTrue(body.contains("malformed XML-RPC request at line 1"), body);
    }

    @Test
    void doctypesAndExternalEntitiesAreRefused() throws Exception {
        String xxe = "<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                + "<methodCall><methodName>Echo</methodName><params><param><value>&x;</value></param></params></methodCall>";
        String body = post("/", xxe);
        assertFalse(body.contains("root:"), body);
        assertTrue(body.contains("DOCTYPE declarations are not allowed"), body);
        String bomb = "<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
                + "<methodCall><methodName>Echo</methodName><params><param><value>&b;</value></param></params></methodCall>";
        assertTrue(post("/", bomb).contains("DOCTYPE declarations are not allowed"));
    }

    @Test
    void oversizedBodiesAreRefusedWithoutBeingRead() throws Exception {
        StringBuilder big = new StringBuilder("<methodCall><methodName>Echo</methodName><params><param><value>");
        big.append("x".repeat((int) CAP));
        big.append("</value></param></params></methodCall>");
        HttpsURLConnection c = open("/");
        c.setFixedLengthStreamingMode(big.length());
        try (OutputStream os = c.getOutputStream()) {
            os.write(big.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // The server may answer and close before the whole body is sent.
        }
        assertEquals(413, c.getResponseCode());
        // Without a Content-Length the cap is enforced while reading.
        HttpsURLConnection chunked = open("/");
        chunked.setChunkedStreamingMode(4096);
        try (OutputStream os = chunked.getOutputStream()) {
            os.write(big.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // As above.
        }
        String body = read(chunked);
        assertTrue(body.contains("request too large"), body);
    }

    @Test
    void onlyPostToKnownPathsIsServed() throws Exception {
        HttpsURLConnection get = (HttpsURLConnection) url.toURL().openConnection();
        get.setSSLSocketFactory(aliceTls.getSocketFactory());
        assertEquals(405, get.getResponseCode());
        HttpsURLConnection unknown = open("/nowhere");
        try (OutputStream os = unknown.getOutputStream()) {
            os.write("<methodCall/>".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(404, unknown.getResponseCode());
    }

    @Test
    void aClientWithoutACertificateCannotConnect() throws Exception {
        SSLContext anonymous = SSLContext.getInstance("TLS");
        anonymous.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
            }

            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
            }

            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        SecureXmlRpcClient c = new SecureXmlRpcClient(url, anonymous, 10_000);
        assertThrows(Exception.class, () -> c.call("Echo"));
    }

    private static HttpsURLConnection open(String path) throws IOException {
        HttpsURLConnection c = (HttpsURLConnection) URI.create("https://localhost:" + server.port() + path).toURL().openConnection();
        c.setSSLSocketFactory(aliceTls.getSocketFactory());
        c.setDoOutput(true);
        c.setRequestMethod("POST");
        c.setRequestProperty("Content-Type", "text/xml");
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        return c;
    }

    private static String post(String path, String xml) throws IOException {
        HttpsURLConnection c = open(path);
        try (OutputStream os = c.getOutputStream()) {
            os.write(xml.getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(200, c.getResponseCode());
        return read(c);
    }

    private static String read(HttpsURLConnection c) throws IOException {
        InputStream in = c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream();
        return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
