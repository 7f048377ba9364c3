package net.vnsnap.certs.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.federation.PemFiles;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS handshakes on loopback between identities of a local federation and the GENI fixtures. */
class TlsContextsTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2027-06-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    static Path dir;
    static LocalFederation fed;
    static LocalFederation other;
    static Identity am;
    static Identity alice;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void setUp() throws Exception {
        fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//tls", Duration.ofDays(3650), CLOCK);
        other = LocalFederation.create(dir.resolve("other"), "elsewhere", Duration.ofDays(3650), CLOCK);
        am = fed.issueServer("am", java.util.List.of("localhost"), Duration.ofDays(3650));
        alice = fed.issueUser("alice", null, Duration.ofDays(3650));
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    /** Runs one handshake: the server answers with the URN of the client it saw, or the failure. */
    private static String handshake(SSLContext serverCtx, SSLContext clientCtx) throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSSLParameters(TlsContexts.serverParameters(serverCtx));
            Future<String> seen = pool.submit(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
                    String urn = GeniCertificate.of(peer).urn().map(Object::toString).orElse("none");
                    OutputStream out = s.getOutputStream();
                    out.write((urn + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return s.getSession().getProtocol() + " " + urn;
                }
            });
            try (SSLSocket c = (SSLSocket) clientCtx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    server.getLocalPort())) {
                c.setSoTimeout(10_000);
                c.setEnabledProtocols(TlsContexts.PROTOCOLS);
                c.startHandshake();
                InputStream in = c.getInputStream();
                String line = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                String serverView = seen.get(10, TimeUnit.SECONDS);
                assertTrue(serverView.endsWith(line), serverView + " vs " + line);
                return serverView;
            }
        }
    }

    private static ChainValidator validator(Path roots) throws IOException {
        return new ChainValidator(TrustRoots.fromDirectory(roots, CLOCK, Duration.ZERO), CLOCK, true);
    }

    @Test
    void mutualTlsIdentifiesTheClientByItsUrn() throws Exception {
        ChainValidator v = validator(fed.trustRootsDirectory());
        String seen = handshake(TlsContexts.create(am, v), TlsContexts.create(alice, v));
        assertEquals("TLSv1.3 urn:publicid:IDN+vnsnap:tls+user+alice", seen);
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        ChainValidator v = validator(fed.trustRootsDirectory());
        SSLContext anonymous = SSLContext.getInstance("TLS");
        anonymous.init(null, new javax.net.ssl.TrustManager[] {new GeniTrustManager(v)}, null);
        assertThrows(Exception.class, () -> handshake(TlsContexts.create(am, v), anonymous));
    }

    @Test
    void aClientFromAnUntrustedAuthorityIsRefusedUntilItsRootIsAdded() throws Exception {
        Path roots = dir.resolve("roots-" + System.nanoTime());
        Files.createDirectories(roots);
        Files.copy(fed.trustRootsDirectory().resolve("vnsnap_tls.pem"), roots.resolve("vnsnap_tls.pem"));
        ChainValidator v = validator(roots);
        Identity stranger = other.issueUser("eve", null, Duration.ofDays(3650));
        SSLContext serverCtx = TlsContexts.create(am, v);
        SSLContext strangerCtx = TlsContexts.create(stranger, validator(fed.trustRootsDirectory()));
        Exception refused = assertThrows(Exception.class, () -> handshake(serverCtx, strangerCtx));
        assertTrue(refused instanceof SSLException || refused.getCause() instanceof SSLException
                || refused instanceof java.net.SocketException, refused.toString());
        // The operator adds the other federation's CA: accepted without a restart.
        PemFiles.write(roots.resolve("elsewhere.pem"), PemFiles.certificates(other.authority().chain()), false);
        assertEquals("TLSv1.3 urn:publicid:IDN+elsewhere+user+eve", handshake(serverCtx, strangerCtx));
    }

    @Test
    void theReferenceClearinghouseUserIsAcceptedWithItsCaAsTrustRoot() throws Exception {
        Path fixtures = Path.of(System.getProperty("vnsnap.shared"), "geni-fixtures");
        Path roots = dir.resolve("ch-roots");
        Files.createDirectories(roots);
        Files.copy(fixtures.resolve("ch-cert.pem"), roots.resolve("ch-cert.pem"));
        Identity fixtureAlice = new Identity(net.vnsnap.certs.x509.GeniCertificate.readPrivateKey(fixtures.resolve("alice-key.pem")),
                LocalFederation.readCertificates(fixtures.resolve("alice-cert.pem")));
        Identity fixtureAm = new Identity(net.vnsnap.certs.x509.GeniCertificate.readPrivateKey(fixtures.resolve("am-key.pem")),
                LocalFederation.readCertificates(fixtures.resolve("am-cert.pem")));
        ChainValidator v = validator(roots);
        assertEquals("TLSv1.3 urn:publicid:IDN+geni:gpo:gcf+user+alice",
                handshake(TlsContexts.create(fixtureAm, v), TlsContexts.create(fixtureAlice, v)));
    }

    @Test
    void tls12StillWorksForOlderClients() throws Exception {
        ChainValidator v = validator(fed.trustRootsDirectory());
        SSLContext client = SSLContext.getInstance("TLSv1.2");
        SSLContext full = TlsContexts.create(alice, v);
        // A TLS 1.2-only client context with the same key material.
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("a", alice.key(), "p".toCharArray(), alice.chain().toArray(new java.security.cert.Certificate[0]));
        kmf.init(ks, "p".toCharArray());
        client.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new GeniTrustManager(v)}, null);
        assertTrue(full.getSupportedSSLParameters().getProtocols().length > 0);
        String seen = handshake(TlsContexts.create(am, v), client);
        assertTrue(seen.startsWith("TLSv1.2 "), seen);
    }
}
