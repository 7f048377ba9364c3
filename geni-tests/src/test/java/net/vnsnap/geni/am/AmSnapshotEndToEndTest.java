package net.vnsnap.geni.am;

import static net.vnsnap.geni.am.Calls.code;
import static net.vnsnap.geni.am.Calls.ok;
import static net.vnsnap.geni.am.Calls.slivers;
import static net.vnsnap.geni.am.Calls.struct;
import static net.vnsnap.geni.testbed.LocalTestbed.GENI3;
import static net.vnsnap.geni.testbed.LocalTestbed.credentials;
import static net.vnsnap.geni.testbed.LocalTestbed.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.LocalTestbed;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.SnapshotState;
import net.vnsnap.rspec.snapshot.VmSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slice snapshots through the vnsnap-am daemon, as an experimenter takes them: real TLS, real VMs on two host agents,
 * the guests running sequenced UDP both ways and a checksummed TCP stream across the hosts. One slice goes through
 * every step in order: snapshot (cow), restore with the strict UDP and TCP checks, a live snapshot with Omni's
 * --optionsfile options while 50 clients call ListResources and Status, deletion of a snapshot, the AM killed
 * mid-snapshot and restarted and the live snapshot restored (TCP checked), deletion of the slice.
 *
 * <p>The strict UDP check runs after a cow snapshot, not a live one: in live mode QEMU pauses the VM at convergence
 * by itself, and a frame reaching it between that pause and the cut hook is lost to a restore (a known limit,
 * geni-tests/README.md "Limits"); one such lost datagram failed this check once in three runs when it used live.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AmSnapshotEndToEndTest {

    static final String SLICE = "snapam";
    /** vm1 and vm2 on hostd1, vm3 on hostd2: every flow below crosses the hosts. */
    static final Map<String, String> PLACEMENT = placement();
    static final Pattern UDP_RX = Consistency.UDP_RX;
    static final Pattern TCP_RX = Consistency.TCP_RX;
    static final int TCP_EVERY = 20;
    static final Duration WAIT = Duration.ofSeconds(180);
    static final int BUSY_STATES_MAX = 400;

    @TempDir
    static Path tmp;
    LocalTestbed bed;
    SecureXmlRpcClient v3;
    String slice;
    Object[] creds;
    Object[] urns;
    /** Each VM's console, current incarnation (replaced after a restore). */
    final Map<String, GuestConsole> consoles = new LinkedHashMap<>();
    String firstId;
    String omniId;

    private static Map<String, String> placement() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("vm1", "hostd1");
        m.put("vm2", "hostd1");
        m.put("vm3", "hostd2");
        return m;
    }

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = LocalTestbed.start(tmp);
        v3 = bed.v3();
        slice = bed.sliceUrn(SLICE);
        creds = credentials(bed.sliceCredential(SLICE));
        urns = new Object[] {slice};
    }

    @AfterAll
    void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    // ---------------------------------------------------------------- steps

    @Test
    @Order(1)
    void aSnapshotReturnsAtOnceShowsProgressAndIsListedInTheManifest() throws Exception {
        String authority = bed.amUrn().split("\\+")[1];
        ok(v3.call("Allocate", slice, creds, Requests.snapshotSlice(bed.amUrn(), authority, PLACEMENT, true), options()));
        ok(v3.call("Provision", urns, creds, options("geni_rspec_version", GENI3)));
        Calls.awaitState(v3, urns, creds, "geni_ready", 300);
        List<Map<String, Object>> started = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "geni_start", options())));
        assertTrue(started.stream().allMatch(s -> "geni_ready".equals(s.get("geni_operational_status"))), started.toString());
        startWorkload();

        Map<String, Object> answer = struct(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_snapshot",
                options("vnsnap_mode", "cow", "vnsnap_label", "before the upgrade"))));
        firstId = (String) answer.get("vnsnap_snapshot_id");
        assertTrue(firstId != null && firstId.startsWith("snap-"), answer.toString());
        assertEquals(3, slivers(answer).size());
        assertTrue(slivers(answer).stream().allMatch(s -> "geni_ready_busy".equals(s.get("geni_operational_status"))),
                "the call returns at once with the slivers busy: " + answer);

        List<Map<String, Object>> busy = followUntilReady(firstId);
        assertFalse(busy.isEmpty(), "Status showed the snapshot running at least once");
        List<Map<String, Object>> done = Calls.awaitState(v3, urns, creds, "geni_ready", 60);
        for (Map<String, Object> s : done) {
            assertEquals("succeeded", s.get("vnsnap_last_outcome"), s.toString());
            assertEquals(firstId, s.get("vnsnap_last_snapshot_id"), s.toString());
            assertEquals("", s.get("vnsnap_last_error"), s.toString());
        }

        SnapshotRecord r = snapshotsInManifest().get(firstId);
        assertEquals(SnapshotState.COMPLETE, r.state(), r.toString());
        assertEquals(SnapshotMode.COW, r.mode());
        assertEquals("before the upgrade", r.label());
        assertEquals(Set.of("vm1", "vm2", "vm3"), new TreeSet<>(r.vms().stream().map(VmSnapshot::clientId).toList()));
        assertTrue(r.sizeBytes() > 0, r.toString());
        for (VmSnapshot v : r.vms()) {
            assertTrue(v.sizeBytes() > 0 && v.sliverId() != null && v.downtime() != null, v.toString());
        }
        for (String host : Set.of("hostd1", "hostd2")) {
            assertTrue(hostSnapshotIds(host).contains(firstId), host + " holds " + firstId);
        }
        System.out.printf("cow snapshot %s: %d bytes, downtimes %s; Status saw %s%n", firstId, r.sizeBytes(),
                r.vms().stream().map(v -> v.clientId() + "=" + v.downtime().toMillis() + "ms").toList(), progressSeen(busy));
    }

    @Test
    @Order(2)
    void restoreThroughTheAmResumesUdpAndTcpFromTheCut() throws Exception {
        Thread.sleep(3000); // the slice runs on past the snapshot
        Map<String, GuestConsole> original = Map.copyOf(consoles);
        List<Map<String, Object>> r = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_restore",
                options("vnsnap_snapshot_id", firstId))));
        assertTrue(r.stream().allMatch(s -> "geni_configuring".equals(s.get("geni_operational_status"))), r.toString());
        List<Map<String, Object>> ready = Calls.awaitState(v3, urns, creds, "geni_ready", 300);
        ready.forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome"), s.toString()));
        ready.forEach(s -> assertEquals("vnsnap_restore", s.get("vnsnap_last_action"), s.toString()));
        adoptConsoles(original);
        checkResumedFromTheCut(original);
    }

    @Test
    @Order(3)
    void omniOptionsFileSnapshotWhileFiftyClientsCallListResourcesAndStatus() throws Exception {
        // What `omni --optionsfile snap.json poa snapam vnsnap_snapshot` sends: the file's members as the options struct.
        Path file = tmp.resolve("snap.json");
        Files.writeString(file, "{\n  \"vnsnap_mode\": \"live\",\n  \"vnsnap_label\": \"omni optionsfile\",\n"
                + "  \"vnsnap_include_disk\": false\n}\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> omniOptions = new ObjectMapper().readValue(file.toFile(), Map.class);
        Map<String, Object> answer = struct(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_snapshot", omniOptions)));
        omniId = (String) answer.get("vnsnap_snapshot_id");

        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        Queue<String> wrong = new ConcurrentLinkedQueue<>();
        Queue<String> statesSeen = new ConcurrentLinkedQueue<>();
        List<Future<Integer>> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                clients.add(pool.submit(() -> {
                    SecureXmlRpcClient c = bed.v3();
                    int calls = 0;
                    // Every client makes at least two rounds, and keeps going while the snapshot runs.
                    for (int round = 0; round < 2 || (running.get() && round < 40); round++) {
                        Object lr = c.call("ListResources", credentials(), options("geni_rspec_version", GENI3));
                        calls++;
                        if (code(lr) != 0) {
                            wrong.add("ListResources: " + lr);
                        } else {
                            RSpec ad = new RSpecReader().read((String) Calls.answer(lr).get("value"));
                            if (ad.type() != RSpecType.ADVERTISEMENT || ad.nodes().size() != 2) {
                                wrong.add("ListResources advertised " + ad.nodes().size() + " hosts");
                            }
                        }
                        Object st = c.call("Status", urns, creds, options());
                        calls++;
                        if (code(st) != 0) {
                            wrong.add("Status: " + st);
                        } else {
                            List<Map<String, Object>> s = slivers(struct(Calls.answer(st).get("value")));
                            for (Map<String, Object> x : s) {
                                Object op = x.get("geni_operational_status");
                                statesSeen.add(String.valueOf(op));
                                if (!"geni_ready".equals(op) && !"geni_ready_busy".equals(op)) {
                                    wrong.add("Status: sliver " + x);
                                }
                            }
                            if (s.size() != 3) {
                                wrong.add("Status listed " + s.size() + " slivers");
                            }
                        }
                    }
                    return calls;
                }));
            }
            List<Map<String, Object>> busy = followUntilReady(omniId);
            running.set(false);
            int calls = 0;
            for (Future<Integer> f : clients) {
                try {
                    calls += f.get(10, TimeUnit.MINUTES);
                } catch (ExecutionException e) {
                    throw new AssertionError("a client failed; the AM log ends: " + tail(bed.am().log(), 6000), e);
                }
            }
            assertEquals(List.of(), List.copyOf(wrong));
            assertTrue(statesSeen.contains("geni_ready_busy"), "the clients' Status calls saw the snapshot running");
            System.out.printf("live snapshot %s with 50 clients: %d calls answered; Status saw %s%n", omniId, calls, progressSeen(busy));
        } finally {
            running.set(false);
            pool.shutdownNow();
        }
        Calls.awaitState(v3, urns, creds, "geni_ready", 60).forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome"), s.toString()));
        SnapshotRecord r = snapshotsInManifest().get(omniId);
        assertEquals(SnapshotState.COMPLETE, r.state());
        assertEquals(SnapshotMode.LIVE, r.mode(), "the option overrides the request's cow");
        assertEquals("omni optionsfile", r.label());
        assertEquals(List.of(firstId, omniId), List.copyOf(snapshotsInManifest().keySet()), "oldest first");
    }

    @Test
    @Order(4)
    void deletingASnapshotRemovesItFromTheManifestAndTheHostsStores() throws Exception {
        List<Map<String, Object>> r = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_delete_snapshot",
                options("vnsnap_snapshot_id", firstId))));
        assertTrue(r.stream().allMatch(s -> "geni_ready_busy".equals(s.get("geni_operational_status"))), r.toString());
        Calls.awaitState(v3, urns, creds, "geni_ready", 120).forEach(s -> {
            assertEquals("vnsnap_delete_snapshot", s.get("vnsnap_last_action"), s.toString());
            assertEquals("succeeded", s.get("vnsnap_last_outcome"), s.toString());
        });
        assertEquals(List.of(omniId), List.copyOf(snapshotsInManifest().keySet()));
        for (String host : Set.of("hostd1", "hostd2")) {
            assertFalse(hostSnapshotIds(host).contains(firstId), host + " still lists " + firstId);
            assertEquals(List.of(), filesOf(host, firstId), host + "'s store still holds files of " + firstId);
            assertTrue(hostSnapshotIds(host).contains(omniId), host + " keeps " + omniId);
        }
        // The id is gone for good: restoring it is SEARCHFAILED.
        assertEquals(12, code(v3.call("PerformOperationalAction", urns, creds, "vnsnap_restore", options("vnsnap_snapshot_id", firstId))));
    }

    @Test
    @Order(5)
    void anAmKilledMidSnapshotRestartsSettlesItAndRestoresTheEarlierOne() throws Exception {
        Map<String, Object> answer = struct(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_snapshot",
                options("vnsnap_label", "interrupted"))));
        String cut = (String) answer.get("vnsnap_snapshot_id");
        bed.restartAm(); // SIGKILL while the snapshot runs, then a new AM on the same state directory
        v3 = bed.v3();
        // The new AM's recovery fails the interrupted snapshot and its first tick returns the slivers to ready.
        List<Map<String, Object>> ready = Calls.awaitState(v3, urns, creds, "geni_ready", 120);
        for (Map<String, Object> s : ready) {
            assertEquals("failed", s.get("vnsnap_last_outcome"), s.toString());
            assertEquals(cut, s.get("vnsnap_last_snapshot_id"), s.toString());
        }
        Map<String, SnapshotRecord> listed = snapshotsInManifest();
        assertEquals(SnapshotState.FAILED, listed.get(cut).state(), listed.toString());
        assertEquals(SnapshotState.COMPLETE, listed.get(omniId).state(), "the earlier snapshot survives the restart: " + listed);
        for (String host : Set.of("hostd1", "hostd2")) {
            assertFalse(hostSnapshotIds(host).contains(cut), host + " still lists the interrupted " + cut);
            assertEquals(List.of(), filesOf(host, cut), host + "'s store still holds files of " + cut);
        }
        for (Map.Entry<String, GuestConsole> c : consoles.entrySet()) {
            long last = c.getValue().size();
            assertTrue(c.getValue().await(Pattern.compile("(?:udp|tcp)-(?:tx|rx) (\\d+)"), last, 0, WAIT) != null, c.getKey());
        }

        // The complete snapshot restores through the restarted AM.
        Map<String, GuestConsole> original = Map.copyOf(consoles);
        ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_restore", options("vnsnap_snapshot_id", omniId)));
        Calls.awaitState(v3, urns, creds, "geni_ready", 300).forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome")));
        adoptConsoles(original);
        Consistency.Tcp tcp = Consistency.tcp(consoles.get("vm2"), 0, consoles.get("vm3"), 0, TCP_EVERY, WAIT);
        assertEquals(List.of(), tcp.violations(), tcp.toString());
        System.out.printf("after the AM restart: %s%n", tcp);
    }

    @Test
    @Order(6)
    void deletingTheSliceRemovesItsVmsAndSnapshots() throws Exception {
        ok(v3.call("Delete", urns, creds, options()));
        assertEquals(Set.of(), bed.vmsOnHosts());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end && (hostSnapshotIds("hostd1").contains(omniId) || hostSnapshotIds("hostd2").contains(omniId))) {
            Thread.sleep(1000);
        }
        for (String host : Set.of("hostd1", "hostd2")) {
            assertFalse(hostSnapshotIds(host).contains(omniId), host + " still holds " + omniId + " of the deleted slice");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Starts the workloads on the guests' consoles: receivers first, then the senders. */
    void startWorkload() throws Exception {
        Map<String, Path> dirs = new LinkedHashMap<>();
        int n = 1;
        for (Map.Entry<String, String> e : PLACEMENT.entrySet()) {
            dirs.put(e.getKey(), Calls.vmDirectory(bed.runDirectory(e.getValue()), "10.0.9." + n++ + "/24", 300));
            consoles.put(e.getKey(), new GuestConsole(dirs.get(e.getKey()).resolve("console.log")));
        }
        String bg = " </dev/null >/dev/ttyS0 2>&1 &";
        // $((40+2)) is expanded by the guest's shell, so the echo of the typed line cannot satisfy the wait.
        Calls.console(dirs.get("vm3"), "udpseq recv 5001 1" + bg + " tcpstream recv 6001 " + TCP_EVERY + bg
                + " echo WORK-$((40+2))", "WORK-42", 60);
        Calls.console(dirs.get("vm1"), "udpseq recv 5001 1" + bg + " echo WORK-$((40+2))", "WORK-42", 60);
        Calls.console(dirs.get("vm1"), "(sleep 2; udpseq send 10.0.9.3 5001 20 1)" + bg + " echo WORK-$((40+2))", "WORK-42", 60);
        Calls.console(dirs.get("vm3"), "(sleep 2; udpseq send 10.0.9.1 5001 20 1)" + bg + " echo WORK-$((40+2))", "WORK-42", 60);
        Calls.console(dirs.get("vm2"), "tcpstream send 10.0.9.3 6001 100 " + TCP_EVERY + bg + " echo WORK-$((40+2))", "WORK-42", 60);
        awaitTraffic();
    }

    /** Each UDP receiver logs 20 datagrams and the TCP receiver three checksum lines from now on. */
    void awaitTraffic() throws Exception {
        for (String rx : List.of("vm1", "vm3")) {
            GuestConsole c = consoles.get(rx);
            long first = Long.parseLong(c.await(UDP_RX, 0, 0, WAIT).group(1));
            c.await(UDP_RX, 0, first + 20, WAIT);
        }
        GuestConsole c = consoles.get("vm3");
        long first = Long.parseLong(c.await(TCP_RX, 0, 0, WAIT).group(1));
        c.await(TCP_RX, 0, first + 3L * TCP_EVERY, WAIT);
    }

    /** Switches to the restored VMs' consoles (the ones that are not in {@code original}). */
    void adoptConsoles(Map<String, GuestConsole> original) throws Exception {
        for (Map.Entry<String, String> e : PLACEMENT.entrySet()) {
            VmInfo vm = vmOf(e.getValue(), e.getKey());
            Path log = Path.of(vm.consoleLog());
            assertFalse(log.equals(original.get(e.getKey()).file()), e.getKey() + " was not replaced by the restore");
            consoles.put(e.getKey(), new GuestConsole(log));
        }
    }

    /** The restored run continues the original one: UDP both ways without orphan, loss or duplicate; TCP without gap. */
    void checkResumedFromTheCut(Map<String, GuestConsole> original) throws Exception {
        Consistency.Udp toVm3 = Consistency.udp("vm1->vm3", original.get("vm1"), consoles.get("vm1"), consoles.get("vm3"), WAIT);
        Consistency.Udp toVm1 = Consistency.udp("vm3->vm1", original.get("vm3"), consoles.get("vm3"), consoles.get("vm1"), WAIT);
        Consistency.Tcp tcp = Consistency.tcp(consoles.get("vm2"), 0, consoles.get("vm3"), 0, TCP_EVERY, WAIT);
        assertEquals(List.of(), toVm3.violations(), toVm3.toString());
        assertEquals(List.of(), toVm1.violations(), toVm1.toString());
        assertEquals(List.of(), tcp.violations(), tcp.toString());
        assertTrue(tcp.sumsCompared() >= 3, tcp.toString());
        // The restored senders resumed where the snapshot cut them, not from the start.
        assertTrue(toVm3.firstTx() > 20 && toVm1.firstTx() > 20 && tcp.firstTx() > 3L * TCP_EVERY,
                "the workload restarted instead of resuming: " + toVm3 + " " + toVm1 + " " + tcp);
        System.out.printf("restored: %s%n          %s%n          %s%n", toVm3, toVm1, tcp);
    }

    /**
     * Polls Status until no sliver is busy, checking every busy sliver's snapshot fields on the way; returns the busy
     * sliver structs seen.
     */
    List<Map<String, Object>> followUntilReady(String id) throws Exception {
        List<Map<String, Object>> busy = new ArrayList<>();
        Map<String, Integer> lastPercent = new LinkedHashMap<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < end) {
            List<Map<String, Object>> st = slivers(struct(ok(v3.call("Status", urns, creds, options()))));
            boolean any = false;
            for (Map<String, Object> s : st) {
                if (!"geni_ready_busy".equals(s.get("geni_operational_status"))) {
                    continue;
                }
                any = true;
                assertEquals("vnsnap_snapshot", s.get("vnsnap_action"), s.toString());
                assertEquals(id, s.get("vnsnap_snapshot_id"), s.toString());
                // complete/failed: the coordinator has finished and the plugin is about to return the slivers to geni_ready.
                assertTrue(Set.of("preparing", "taking", "committing", "complete").contains(s.get("vnsnap_snapshot_state")),
                        s.toString());
                int pct = (Integer) s.get("vnsnap_progress_percent");
                assertTrue(pct >= 0 && pct <= 100, s.toString());
                Integer before = lastPercent.put((String) s.get("geni_sliver_urn"), pct);
                assertTrue(before == null || before <= pct, "progress went back from " + before + " to " + pct);
                if (busy.size() < BUSY_STATES_MAX) {
                    busy.add(s);
                }
            }
            if (!any) {
                return busy;
            }
            Thread.sleep(150);
        }
        throw new AssertionError("the slivers stayed busy for 300 s");
    }

    static List<String> progressSeen(List<Map<String, Object>> busy) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> s : busy) {
            String e = s.get("vnsnap_snapshot_state") + " " + s.get("vnsnap_progress_percent") + "%";
            if (out.isEmpty() || !out.get(out.size() - 1).equals(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The snapshots Describe's manifest lists, by id, in its order. */
    Map<String, SnapshotRecord> snapshotsInManifest() throws Exception {
        Map<String, Object> d = struct(ok(v3.call("Describe", urns, creds, options("geni_rspec_version", GENI3))));
        RSpec m = new RSpecReader().read((String) d.get("geni_rspec"));
        Map<String, SnapshotRecord> out = new LinkedHashMap<>();
        SliceSnapshots.read(m).ifPresent(s -> s.records().forEach(r -> out.put(r.id(), r)));
        return out;
    }

    Set<String> hostSnapshotIds(String host) throws Exception {
        Set<String> ids = new TreeSet<>();
        for (HostSnapshot s : bed.hostAgent(host).snapshots()) {
            ids.add(s.snapshotId());
        }
        return ids;
    }

    /** Files and directories in a host's store whose name starts with the snapshot id. */
    List<Path> filesOf(String host, String id) throws Exception {
        Path store = bed.storeDirectory(host);
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(store, 3)) {
            return s.filter(p -> p.getFileName().toString().startsWith(id)).toList();
        }
    }

    /** The VM a node of this slice runs as on its host. */
    VmInfo vmOf(String host, String clientId) throws Exception {
        for (VmInfo v : bed.hostAgent(host).vms()) {
            if (v.slice().equals(slice) && v.name().startsWith(SLICE + "-" + clientId + "-")) {
                return v;
            }
        }
        throw new AssertionError("no VM of " + clientId + " on " + host);
    }

    static String tail(Path log, int chars) throws Exception {
        String s = Files.readString(log);
        return s.substring(Math.max(0, s.length() - chars));
    }
}
