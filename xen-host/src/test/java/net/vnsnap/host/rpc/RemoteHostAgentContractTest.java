package net.vnsnap.host.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.agent.HostAgentContract;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The HostAgent contract checked through RemoteHostAgent, a real SecureXmlRpcServer and TLS identities of a local federation. */
class RemoteHostAgentContractTest extends HostAgentContract {
    private SecureXmlRpcServer server;
    private RemoteHostAgent remote;
    private ChainValidator validator;
    private LocalFederation fed;

    @Override
    protected synchronized HostAgent agentUnderTest() throws Exception {
        if (remote == null) {
            Clock clock = Clock.systemUTC();
            fed = LocalFederation.create(tmp.resolve("fed"), "vnsnap//test", Duration.ofDays(30), clock);
            Identity hostd = fed.issueServer("hostd1", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
            Identity am = fed.issueServer("am", List.of("localhost"), Duration.ofDays(30));
            validator = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), clock), clock, true);
            server = new SecureXmlRpcServer(new InetSocketAddress("127.0.0.1", 0), TlsContexts.create(hostd, validator),
                    new SecureXmlRpcServer.Limits(8L << 20, 4, 16));
            server.serve("/", new HostAgentEndpoint(local, Set.of(GeniCertificate.of(am.certificate()).urn().orElseThrow()))).start();
            remote = new RemoteHostAgent(URI.create("https://localhost:" + server.port() + "/"), TlsContexts.create(am, validator),
                    Duration.ofSeconds(30), Duration.ofMinutes(5));
        }
        return remote;
    }

    @Override
    protected int portBase() {
        return 47000 + (int) (ProcessHandle.current().pid() % 200) * 40 + 20;
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCallerOutsideTheAllowedSetIsForbidden() throws Exception {
        agentUnderTest();
        Identity intruder = fed.issueServer("intruder", List.of("localhost"), Duration.ofDays(30));
        SSLContext tls = TlsContexts.create(intruder, validator);
        HostAgent other = new RemoteHostAgent(remote.url(), tls, Duration.ofSeconds(30), Duration.ofSeconds(30));
        HostException e = assertThrows(HostException.class, other::info);
        assertEquals(HostException.Reason.FORBIDDEN, e.reason());
        assertTrue(e.getMessage().contains("intruder"), e.getMessage());
    }

    @Test
    void anUnreachableAgentIsReportedAsSuch() throws Exception {
        agentUnderTest();
        HostAgent nobody = new RemoteHostAgent(URI.create("https://127.0.0.1:1/"), TlsContexts.create(fed.issueServer("am2",
                List.of("localhost"), Duration.ofDays(30)), validator), Duration.ofSeconds(5), Duration.ofSeconds(5));
        assertEquals(HostException.Reason.UNREACHABLE, assertThrows(HostException.class, nobody::info).reason());
    }
}
