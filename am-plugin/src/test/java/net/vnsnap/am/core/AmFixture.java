package net.vnsnap.am.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.v2.AmV2Endpoint;
import net.vnsnap.am.api.v3.AmV3Endpoint;
import net.vnsnap.am.auth.CallAuthorizer;
import net.vnsnap.am.plugin.AmPlugin;
import net.vnsnap.am.slice.InMemorySliceStore;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.SliceStore;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;

/**
 * A local federation (users alice and bob, slice credentials) shared by a test class, and a fresh AM per
 * test over two fake hosts, called through the real v3 and v2 endpoints' decoding.
 */
public final class AmFixture {

    public static final Instant T0 = Instant.parse("2027-06-01T00:00:00Z");
    public static final String AM_URN = "urn:publicid:IDN+vnsnap:test+authority+am";

    public final LocalFederation fed;
    public final Identity aliceId;
    public final Identity bobId;
    public final RpcCaller alice;
    public final RpcCaller bob;
    private final Map<String, String> creds = new HashMap<>();

    public AmFixture(Path dir) throws Exception {
        fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//test", Duration.ofDays(3650), Clock.fixed(T0, ZoneOffset.UTC));
        aliceId = fed.issueUser("alice", "alice@example.org", Duration.ofDays(3650));
        bobId = fed.issueUser("bob", null, Duration.ofDays(3650));
        alice = caller(aliceId);
        bob = caller(bobId);
    }

    static RpcCaller caller(Identity id) throws Exception {
        return new RpcCaller(id.chain(), GeniCertificate.of(id.chain().get(0)).urn().orElseThrow());
    }

    public String sliceUrn(String slice) throws Exception {
        return fed.sliceUrn(slice).toString();
    }

    /** A slice credential of {@code user} for {@code slice}, valid from T0 for {@code validity} (cached). */
    synchronized String cred(String user, String slice, Duration validity) throws Exception {
        String k = user + "/" + slice + "/" + validity;
        String c = creds.get(k);
        if (c == null) {
            Path f = fed.issueSliceCredential(user, slice, validity);
            c = Files.readString(f);
            creds.put(k, c);
        }
        return c;
    }

    public String cred(String slice) throws Exception {
        return cred("alice", slice, Duration.ofDays(30));
    }

    /** The v3 credentials argument holding one geni_sfa credential. */
    public static Object[] creds(String xml) {
        return new Object[] {Map.of("geni_type", "geni_sfa", "geni_version", "3", "geni_value", xml)};
    }

    public CallAuthorizer authorizer(Clock clock) throws Exception {
        TrustRoots t = TrustRoots.fromDirectory(fed.trustRootsDirectory(), clock);
        return new CallAuthorizer(new CredentialVerifier(t, clock), new SpeaksForVerifier(t, clock));
    }

    /** One AM over two fake Xen hosts of two VMs each, and its endpoints. */
    final class Harness {
        final MutableClock clock = new MutableClock(T0);
        final FakeHost h1 = new FakeHost("h1", "xen", 2, List.of("debian", "busybox"));
        final FakeHost h2 = new FakeHost("h2", "xen", 2, List.of("debian", "busybox"));
        final SliceStore store;
        final AggregateManager am;
        final AmV3Endpoint v3;
        final AmV2Endpoint v2;

        Harness() throws Exception {
            this(new InMemorySliceStore(), List.of());
        }

        Harness(SliceStore store, List<AmPlugin> plugins) throws Exception {
            this.store = store;
            am = new AggregateManager(clock, authorizer(clock), store, HostRegistry.of(FakeHost.registry(h1, h2)),
                    AmPolicy.defaults(AM_URN, "busybox"), plugins, IdGenerator.counting("s"), "https://am.test/", "https://am.test/2");
            v3 = new AmV3Endpoint(am);
            v2 = new AmV2Endpoint(am);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> v3(RpcCaller who, String method, Object... params) {
            return (Map<String, Object>) v3.call(who, method, List.of(params));
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> v2(RpcCaller who, String method, Object... params) {
            return (Map<String, Object>) v2.call(who, method, List.of(params));
        }

        /** Everything a refused call must leave as it was: the store and both hosts. */
        String state() throws Exception {
            List<String> slices = new ArrayList<>();
            for (SliceRecord r : store.all()) {
                slices.add(r.toString());
            }
            slices.sort(null);
            return slices + "\nh1: " + h1.snapshot() + "\nh2: " + h2.snapshot();
        }
    }

    @SuppressWarnings("unchecked")
    public static int code(Map<String, Object> r) {
        return (Integer) ((Map<String, Object>) r.get("code")).get("geni_code");
    }

    public static Map<String, Object> options(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    public static final Map<String, Object> GENI3 = Map.of("type", "GENI", "version", "3");

    /** Two Xen VMs bound to h1 and h2 on one LAN with addresses, or unbound when {@code bound} is false. */
    static String twoNodes(boolean bound) {
        return "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n"
                + node("vm1", bound ? "h1" : null, "10.10.1.1") + node("vm2", bound ? "h2" : null, "10.10.1.2")
                + "  <link client_id=\"lan0\"><interface_ref client_id=\"vm1:if0\"/><interface_ref client_id=\"vm2:if0\"/></link>\n"
                + "</rspec>\n";
    }

    static String node(String id, String host, String ip) {
        return "  <node client_id=\"" + id + "\" exclusive=\"false\""
                + (host == null ? "" : " component_id=\"urn:publicid:IDN+vnsnap:test+node+" + host + "\"") + ">\n"
                + "    <sliver_type name=\"xen-vm\"><disk_image name=\"debian\"/></sliver_type>\n"
                + "    <interface client_id=\"" + id + ":if0\"><ip address=\"" + ip + "\" netmask=\"255.255.255.0\" type=\"ipv4\"/></interface>\n"
                + "  </node>\n";
    }

    /** {@code n} unbound single-NIC-less VMs. */
    static String vms(int n) {
        StringBuilder b = new StringBuilder("<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"request\">\n");
        for (int i = 0; i < n; i++) {
            b.append("  <node client_id=\"n").append(i).append("\" exclusive=\"false\"><sliver_type name=\"xen-vm\"/></node>\n");
        }
        return b.append("</rspec>\n").toString();
    }
}
