package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.rpc.RemoteHostAgent;

/**
 * A whole vnsnap aggregate on this machine: a local federation (experimenter alice), two hostd processes running
 * real VMs and one AM process, plus an experimenter's XML-RPC clients and credential helpers.
 */
public final class LocalTestbed implements AutoCloseable {

    /** The AM's identity name in the federation; its URN is the only caller the host agents allow. */
    public static final String AM = "am";
    /** The GENI RSpec version struct most calls take. */
    public static final Map<String, Object> GENI3 = Map.of("type", "GENI", "version", "3");

    private final Path dir;
    private final LocalFederation fed;
    private final Identity alice;
    private final String amUrn;
    private final List<HostdProcess> hosts = new ArrayList<>();
    /** Replaced by {@link #restartAm}; read by every client helper. */
    private volatile AmProcess am;

    private LocalTestbed(Path dir, LocalFederation fed, Identity alice, String amUrn) {
        this.dir = dir;
        this.fed = fed;
        this.alice = alice;
        this.amUrn = amUrn;
    }

    /** Creates the federation under {@code dir}, starts two host agents and the AM; on failure stops what started. */
    public static LocalTestbed start(Path dir) throws IOException, InterruptedException, GeneralSecurityException,
            InvalidUrnException {
        Clock clock = Clock.systemUTC();
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//bed", Duration.ofDays(30), clock);
        Identity alice = fed.issueUser("alice", "alice@example.org", Duration.ofDays(30));
        Identity amId = fed.issueServer(AM, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        String amUrn = GeniCertificate.of(amId.certificate()).urn().orElseThrow().toString();
        LocalTestbed bed = new LocalTestbed(dir, fed, alice, amUrn);
        try {
            Path guest = Checkout.guestImage();
            // Distinct VM port ranges per test JVM, so parallel runs of different suites do not collide.
            int base = 43000 + (int) (ProcessHandle.current().pid() % 200) * 20;
            for (int i = 1; i <= 2; i++) {
                String id = "hostd" + i;
                fed.issueServer(id, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
                bed.hosts.add(HostdProcess.start(new HostdProcess.Settings(id, dir.resolve(id), fed.serverDirectory(id),
                        fed.trustRootsDirectory(), amUrn, guest, base + (i - 1) * 10, 4,
                        // Each AM call may ask every host (ListResources asks each for its info), so a host sees as many
                        // concurrent calls as the AM has clients: one worker each, like the AM (AmProcess).
                        Map.of("rpc.threads", "64")), 180));
            }
            bed.am = AmProcess.start(bed.amSettings(dir.resolve("am"), fed.serverDirectory(AM), fed.trustRootsDirectory(), Map.of()), 180);
            return bed;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            // Errors too (a class missing from the AM's class path): the host agents must not outlive a failed start.
            bed.close();
            throw e;
        }
    }

    /** Settings for an AM over this testbed's hosts, e.g. a second AM with other trust roots. */
    public AmProcess.Settings amSettings(Path workDir, Path identity, Path trustRoots, Map<String, String> extra) {
        Map<String, URI> urls = new LinkedHashMap<>();
        for (HostdProcess h : hosts) {
            urls.put(h.hostId(), h.rpc());
        }
        return new AmProcess.Settings(workDir, identity, trustRoots, fed.trustRootsDirectory(), urls, extra);
    }

    public Path directory() {
        return dir;
    }

    public LocalFederation federation() {
        return fed;
    }

    public Identity alice() {
        return alice;
    }

    public String amUrn() {
        return amUrn;
    }

    public AmProcess am() {
        return am;
    }

    public List<HostdProcess> hosts() {
        return List.copyOf(hosts);
    }

    /** The run directory of a host agent: one directory per VM with its console.log and serial socket. */
    public Path runDirectory(String hostId) {
        return dir.resolve(hostId).resolve("run");
    }

    /** Every VM the host agents run, as {@code hostId/vmName}, asked with the AM's identity (what the AM would see). */
    public Set<String> vmsOnHosts() throws IOException, GeneralSecurityException, HostException {
        SSLContext tls = tls(LocalFederation.load(fed.serverDirectory(AM)), fed.trustRootsDirectory());
        Set<String> out = new TreeSet<>();
        for (HostdProcess h : hosts) {
            for (VmInfo vm : new RemoteHostAgent(h.rpc(), tls, Duration.ofSeconds(30), Duration.ofSeconds(60)).vms()) {
                out.add(h.hostId() + "/" + vm.name());
            }
        }
        return out;
    }

    /** A host agent's snapshot store directory (one directory per snapshot). */
    public Path storeDirectory(String hostId) {
        return dir.resolve(hostId).resolve("store");
    }

    /** A client of one host agent with the AM's identity, to look at what the AM made there (VMs, consoles, snapshots). */
    public RemoteHostAgent hostAgent(String hostId) throws IOException, GeneralSecurityException {
        for (HostdProcess h : hosts) {
            if (h.hostId().equals(hostId)) {
                SSLContext tls = tls(LocalFederation.load(fed.serverDirectory(AM)), fed.trustRootsDirectory());
                return new RemoteHostAgent(h.rpc(), tls, Duration.ofSeconds(30), Duration.ofSeconds(60));
            }
        }
        throw new IllegalArgumentException("no host " + hostId + " in this testbed");
    }

    /**
     * Every VM the host agents run with what they report (state, console log), by host id, asked with the AM's
     * identity; the demo reads the guests' consoles through it.
     */
    public Map<String, List<VmInfo>> vmInfos() throws IOException, GeneralSecurityException, HostException {
        SSLContext tls = tls(LocalFederation.load(fed.serverDirectory(AM)), fed.trustRootsDirectory());
        Map<String, List<VmInfo>> out = new LinkedHashMap<>();
        for (HostdProcess h : hosts) {
            out.put(h.hostId(), new RemoteHostAgent(h.rpc(), tls, Duration.ofSeconds(30), Duration.ofSeconds(60)).vms());
        }
        return out;
    }

    /** Kills the AM (SIGKILL) and starts it again on the same state directory; returns the new process. */
    public AmProcess restartAm() throws IOException, InterruptedException {
        am.kill();
        am = am.restart(180);
        return am;
    }

    /** alice's TLS context: her certificate as client, the federation's roots for the AM's certificate. */
    public SSLContext aliceTls() throws GeneralSecurityException, IOException {
        return tls(alice, fed.trustRootsDirectory());
    }

    /** A TLS context for any identity, trusting the given root directory for servers. */
    public static SSLContext tls(Identity who, Path roots) throws GeneralSecurityException, IOException {
        Clock clock = Clock.systemUTC();
        return TlsContexts.create(who, new ChainValidator(TrustRoots.fromDirectory(roots, clock), clock, true));
    }

    /** alice's client of the AM's v3 endpoint. */
    public SecureXmlRpcClient v3() throws GeneralSecurityException, IOException {
        return new SecureXmlRpcClient(am.url(), aliceTls(), 600_000);
    }

    /** alice's client of the AM's v2 endpoint. */
    public SecureXmlRpcClient v2() throws GeneralSecurityException, IOException {
        return new SecureXmlRpcClient(am.v2Url(), aliceTls(), 600_000);
    }

    /** The URN of a slice of this federation. */
    public String sliceUrn(String slice) throws IOException, GeneralSecurityException, InvalidUrnException {
        return fed.sliceUrn(slice).toString();
    }

    /** A fresh slice credential of alice's for {@code slice}, valid for a day. */
    public String sliceCredential(String slice) throws IOException, GeneralSecurityException, InvalidUrnException {
        return Files.readString(fed.issueSliceCredential("alice", slice, Duration.ofDays(1)));
    }

    /** The credentials parameter of a call: one {geni_type: geni_sfa, geni_version: "3", geni_value} struct per XML. */
    public static Object[] credentials(String... xml) {
        Object[] out = new Object[xml.length];
        for (int i = 0; i < xml.length; i++) {
            out[i] = credential("geni_sfa", "3", xml[i]);
        }
        return out;
    }

    /** One credential struct. */
    public static Map<String, Object> credential(String type, String version, String xml) {
        return Map.of("geni_type", type, "geni_version", version, "geni_value", xml);
    }

    /** An options struct from key, value pairs. */
    public static Map<String, Object> options(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Stops the AM, then the host agents (which destroy their VMs). */
    @Override
    public void close() throws InterruptedException {
        if (am != null) {
            am.close();
        }
        for (HostdProcess h : hosts) {
            h.close();
        }
    }
}
