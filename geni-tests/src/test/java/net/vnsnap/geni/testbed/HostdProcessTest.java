package net.vnsnap.geni.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.rpc.RemoteHostAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testbed starts a real hostd process from generated settings, reaches it over mutual TLS, and stops it. */
class HostdProcessTest {

    @TempDir
    Path tmp;

    @Test
    void aStartedDaemonAnswersTheAmAndStopsOnClose() throws Exception {
        Clock clock = Clock.systemUTC();
        LocalFederation fed = LocalFederation.create(tmp.resolve("fed"), "vnsnap//bed", Duration.ofDays(30), clock);
        fed.issueServer("hostd1", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        Identity am = fed.issueServer("am", List.of("localhost"), Duration.ofDays(30));
        String amUrn = GeniCertificate.of(am.certificate()).urn().orElseThrow().toString();
        // The daemon checks image files exist only when a VM is created; empty stand-ins suffice for info().
        Path guest = Files.createDirectories(tmp.resolve("guest"));
        Files.writeString(guest.resolve("vmlinux"), "");
        Files.writeString(guest.resolve("initramfs.cpio.gz"), "");
        HostdProcess.Settings s = new HostdProcess.Settings("hostd1", tmp.resolve("hostd1"), fed.serverDirectory("hostd1"),
                fed.trustRootsDirectory(), amUrn, guest, 47000 + (int) (ProcessHandle.current().pid() % 100) * 10, 2, Map.of());
        HostdProcess hostd = HostdProcess.start(s, 120);
        try {
            assertTrue(hostd.rpc().toString().startsWith("https://"), hostd.rpc().toString());
            assertTrue(hostd.tunnelEndpoint().matches("[^:]+:\\d+"), hostd.tunnelEndpoint());
            ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), clock), clock, true);
            RemoteHostAgent agent = new RemoteHostAgent(hostd.rpc(), TlsContexts.create(am, v), Duration.ofSeconds(30),
                    Duration.ofSeconds(60));
            HostInfo info = agent.info();
            assertEquals("hostd1", info.hostId());
            assertEquals(List.of("guest"), info.images());
            assertEquals(2, info.maxVms());
        } finally {
            hostd.close();
        }
        assertFalse(hostd.isAlive());
    }
}
