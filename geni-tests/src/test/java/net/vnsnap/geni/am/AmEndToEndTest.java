package net.vnsnap.geni.am;

import static net.vnsnap.geni.am.Calls.code;
import static net.vnsnap.geni.am.Calls.ok;
import static net.vnsnap.geni.am.Calls.slivers;
import static net.vnsnap.geni.am.Calls.struct;
import static net.vnsnap.geni.testbed.LocalTestbed.GENI3;
import static net.vnsnap.geni.testbed.LocalTestbed.credentials;
import static net.vnsnap.geni.testbed.LocalTestbed.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.geni.testbed.AmProcess;
import org.apache.xmlrpc.XmlRpcException;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.LocalTestbed;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The vnsnap-am daemon end to end: real processes, real TLS, real VMs on two host agents, driven as an experimenter would. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AmEndToEndTest {

    @TempDir
    static Path tmp;
    static LocalTestbed bed;
    static SecureXmlRpcClient v3;
    static String authority;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = LocalTestbed.start(tmp);
        v3 = bed.v3();
        authority = bed.amUrn().split("\\+")[1];
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    static Set<String> vmsOnHosts() throws Exception {
        return bed.vmsOnHosts();
    }

    @Test
    @Order(1)
    void v3LifeCycleAcrossTwoHosts() throws Exception {
        String slice = bed.sliceUrn("life");
        Object[] creds = credentials(bed.sliceCredential("life"));
        Object[] urns = {slice};

        Map<String, Object> version = struct(ok(v3.call("GetVersion")));
        assertEquals(3, version.get("geni_api"));
        assertEquals(bed.am().url().toString(), struct(version.get("geni_api_versions")).get("3"));
        assertEquals(bed.am().v2Url().toString(), struct(version.get("geni_api_versions")).get("2"));

        String adXml = (String) ok(v3.call("ListResources", credentials(), options("geni_rspec_version", GENI3, "geni_available", true)));
        RSpec ad = new RSpecReader().read(adXml);
        assertEquals(RSpecType.ADVERTISEMENT, ad.type());
        assertEquals(List.of("urn:publicid:IDN+" + authority + "+node+hostd1", "urn:publicid:IDN+" + authority + "+node+hostd2"),
                ad.nodes().stream().map(Node::componentId).toList());

        Map<String, Object> alloc = struct(ok(v3.call("Allocate", slice, creds, Requests.twoHostLan(bed.amUrn(), authority),
                options())));
        assertEquals(2, slivers(alloc).size());
        assertTrue(slivers(alloc).stream().allMatch(s -> "geni_allocated".equals(s.get("geni_allocation_status"))));
        assertEquals(Set.of(), vmsOnHosts(), "Allocate touches no host");

        Map<String, Object> prov = struct(ok(v3.call("Provision", urns, creds, options("geni_rspec_version", GENI3))));
        assertTrue(slivers(prov).stream().allMatch(s -> "geni_provisioned".equals(s.get("geni_allocation_status"))));
        Calls.awaitState(v3, urns, creds, "geni_ready", 300);
        Set<String> vms = vmsOnHosts();
        assertEquals(2, vms.size(), vms.toString());
        assertTrue(vms.stream().anyMatch(v -> v.startsWith("hostd1/")) && vms.stream().anyMatch(v -> v.startsWith("hostd2/")), vms.toString());

        // The two VMs reach each other across hosts over the slice's LAN.
        Path client = Calls.vmDirectory(bed.runDirectory("hostd1"), "10.10.1.1/24", 300);
        Path server = Calls.vmDirectory(bed.runDirectory("hostd2"), "10.10.1.2/24", 300);
        String ping = Calls.console(client, "ping -c 3 -W 5 10.10.1.2", "packet loss", 120);
        assertTrue(ping.contains(" 0% packet loss"), ping);
        String back = Calls.console(server, "ping -c 2 -W 5 10.10.1.1", "packet loss", 120);
        assertTrue(back.contains(" 0% packet loss"), back);

        Map<String, Object> desc = struct(ok(v3.call("Describe", urns, creds, options("geni_rspec_version", GENI3))));
        RSpec manifest = new RSpecReader().read((String) desc.get("geni_rspec"));
        assertEquals(RSpecType.MANIFEST, manifest.type());
        assertEquals(Set.of("client", "server"), new TreeSet<>(manifest.nodes().stream().map(Node::clientId).toList()));
        assertTrue(((String) desc.get("geni_rspec")).contains("snapshot"), "the manifest states the snapshot settings");

        concurrentClients(slice, creds);

        assertEquals(13, code(v3.call("PerformOperationalAction", urns, creds, "geni_frobnicate", options())));
        List<Map<String, Object>> stopped = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "geni_stop", options())));
        assertTrue(stopped.stream().allMatch(s -> "geni_notready".equals(s.get("geni_operational_status"))), stopped.toString());
        List<Map<String, Object>> started = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "geni_start", options())));
        assertTrue(started.stream().allMatch(s -> "geni_ready".equals(s.get("geni_operational_status"))), started.toString());

        String until = Instant.now().plus(Duration.ofHours(6)).truncatedTo(ChronoUnit.SECONDS).toString();
        List<Map<String, Object>> renewed = slivers(ok(v3.call("Renew", urns, creds, until, options())));
        assertTrue(renewed.stream().allMatch(s -> Instant.parse(((String) s.get("geni_expires")).replace("+00:00", "Z"))
                .equals(Instant.parse(until))), renewed.toString());

        List<Map<String, Object>> deleted = slivers(ok(v3.call("Delete", urns, creds, options())));
        assertTrue(deleted.stream().allMatch(s -> "geni_unallocated".equals(s.get("geni_allocation_status"))));
        assertEquals(Set.of(), vmsOnHosts(), "Delete destroys the VMs");
        assertEquals(12, code(v3.call("Status", urns, creds, options())), "the slice is gone");
    }

    /** 50 clients, each with its own TLS connection, alternate ListResources and Status a bounded number of times. */
    static void concurrentClients(String slice, Object[] creds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        java.util.Queue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                done.add(pool.submit(() -> {
                    SecureXmlRpcClient c = bed.v3();
                    int answered = 0;
                    for (int k = 0; k < 4; k++) {
                        String ad = (String) ok(c.call("ListResources", credentials(), options("geni_rspec_version", GENI3)));
                        if (!ad.contains("+node+hostd1") || !ad.contains("+node+hostd2")) {
                            wrong.add("ListResources: " + ad);
                        }
                        List<Map<String, Object>> st = slivers(struct(ok(c.call("Status", new Object[] {slice}, creds, options()))));
                        if (st.size() != 2 || !st.stream().allMatch(s -> "geni_ready".equals(s.get("geni_operational_status")))) {
                            wrong.add("Status: " + st);
                        }
                        answered += 2;
                    }
                    return answered;
                }));
            }
            for (Future<Integer> f : done) {
                try {
                    assertEquals(8, f.get(10, TimeUnit.MINUTES));
                } catch (java.util.concurrent.ExecutionException e) {
                    String log = Files.readString(bed.am().log());
                    throw new AssertionError("a client failed; the AM log ends: " + log.substring(Math.max(0, log.length() - 6000)), e);
                }
            }
            assertEquals(List.of(), List.copyOf(wrong));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(2)
    void v2LifeCycle() throws Exception {
        SecureXmlRpcClient v2 = bed.v2();
        String slice = bed.sliceUrn("legacy");
        Object[] creds = {bed.sliceCredential("legacy")};
        Map<String, Object> version = struct(ok(v2.call("GetVersion")));
        assertEquals(2, version.get("geni_api"));
        String manifest = (String) ok(v2.call("CreateSliver", slice, creds, Requests.oneVm(bed.amUrn()), new Object[0], options()));
        assertEquals(RSpecType.MANIFEST, new RSpecReader().read(manifest).type());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        String status = "";
        while (System.nanoTime() < end && !status.equals("ready")) {
            status = (String) struct(ok(v2.call("SliverStatus", slice, creds, options()))).get("geni_status");
            Thread.sleep(1000);
        }
        assertEquals("ready", status);
        assertEquals(1, vmsOnHosts().size());
        assertEquals(Boolean.TRUE, ok(v2.call("DeleteSliver", slice, creds, options())));
        assertEquals(Set.of(), vmsOnHosts());
    }

    @Test
    @Order(3)
    void aKilledAmRestartedOnItsStateStillListsTheSlivers() throws Exception {
        String slice = bed.sliceUrn("phoenix");
        Object[] creds = credentials(bed.sliceCredential("phoenix"));
        Object[] urns = {slice};
        ok(v3.call("Allocate", slice, creds, Requests.oneVm(bed.amUrn()), options()));
        ok(v3.call("Provision", urns, creds, options("geni_rspec_version", GENI3)));
        List<Map<String, Object>> before = Calls.awaitState(v3, urns, creds, "geni_ready", 300);

        bed.restartAm();
        SecureXmlRpcClient again = bed.v3();
        List<Map<String, Object>> after = Calls.awaitState(again, urns, creds, "geni_ready", 60);
        assertEquals(before.stream().map(s -> s.get("geni_sliver_urn")).toList(), after.stream().map(s -> s.get("geni_sliver_urn")).toList());
        assertEquals(1, vmsOnHosts().size());

        ok(again.call("Delete", urns, creds, options()));
        assertEquals(Set.of(), vmsOnHosts());
        v3 = again;
    }

    /**
     * A second AM that trusts only the GENI clearinghouse root (ch-cert.pem): the real alice with her gcf slice credential
     * runs a VM through it. Its identity is the local federation's AM (the hosts allow that URN and trust that CA), and it
     * checks the hosts against the local federation's roots (hosts.trust.roots); alice's tool trusts that CA for the AM.
     */
    @Test
    @Order(4)
    void theRealGeniAliceWithHerGcfSliceCredential() throws Exception {
        Path fixtures = Path.of(System.getProperty("vnsnap.shared", Checkout.root().resolveSibling("shared").toString()), "geni-fixtures");
        assumeTrue(Files.isRegularFile(fixtures.resolve("slice-cred-fixture2.xml")), "no GENI fixtures at " + fixtures);
        Path chRoots = Files.createDirectories(tmp.resolve("gcf-roots"));
        Files.copy(fixtures.resolve("ch-cert.pem"), chRoots.resolve("ch-cert.pem"));
        AmProcess gcfAm = AmProcess.start(bed.amSettings(tmp.resolve("am-gcf"), bed.federation().serverDirectory(LocalTestbed.AM), chRoots,
                Map.of()), 180);
        try {
            Identity alice = new Identity(GeniCertificate.readPrivateKey(fixtures.resolve("alice-key.pem")),
                    GeniCertificate.readChain(fixtures.resolve("alice-cert.pem")));
            SecureXmlRpcClient c = new SecureXmlRpcClient(gcfAm.url(), LocalTestbed.tls(alice, bed.federation().trustRootsDirectory()),
                    600_000);
            String slice = "urn:publicid:IDN+geni:gpo:gcf+slice+fixture2";
            Object[] creds = credentials(Files.readString(fixtures.resolve("slice-cred-fixture2.xml")));
            Object[] urns = {slice};
            ok(c.call("GetVersion"));
            ok(c.call("Allocate", slice, creds, Requests.oneVm(bed.amUrn()), options()));
            ok(c.call("Provision", urns, creds, options("geni_rspec_version", GENI3)));
            Calls.awaitState(c, urns, creds, "geni_ready", 300);
            assertEquals(1, vmsOnHosts().size());
            // The local federation's alice is a stranger to this AM: her handshake fails.
            SecureXmlRpcClient local = new SecureXmlRpcClient(gcfAm.url(), bed.aliceTls(), 30_000);
            assertThrows(XmlRpcException.class, () -> local.call("GetVersion"));
            ok(c.call("Delete", urns, creds, options()));
            assertEquals(Set.of(), vmsOnHosts());
        } finally {
            gcfAm.close();
        }
    }

    @Test
    @Order(5)
    void sigtermStopsTheAmCleanly() throws Exception {
        AmProcess am = bed.am();
        am.close();
        assertEquals(143, am.exitValue());
        String log = Files.readString(am.log());
        assertTrue(log.contains("stopped"), log);
    }
}
