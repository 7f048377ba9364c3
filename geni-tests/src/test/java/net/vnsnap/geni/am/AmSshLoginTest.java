package net.vnsnap.geni.am;

import static net.vnsnap.geni.am.Calls.code;
import static net.vnsnap.geni.am.Calls.ok;
import static net.vnsnap.geni.am.Calls.slivers;
import static net.vnsnap.geni.am.Calls.struct;
import static net.vnsnap.geni.testbed.LocalTestbed.GENI3;
import static net.vnsnap.geni.testbed.LocalTestbed.credentials;
import static net.vnsnap.geni.testbed.LocalTestbed.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.LocalTestbed;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Experimenters log in to their VMs with SSH through the vnsnap-am daemon: keys given with Provision's geni_users,
 * the manifest's services/login, geni_update_users adding a user, and logins working again after a snapshot and
 * restore through the AM. Real VMs (dropbear in the test guest), the real OpenSSH client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AmSshLoginTest {

    static final String SLICE = "sshlogin";
    static final Map<String, String> PLACEMENT = Map.of("web", "hostd1", "db", "hostd2");
    /** How long a guest may take from geni_ready to accepting SSH (boot, DHCP on the control NIC, host key). */
    static final int SSH_UP_SECONDS = 180;

    @TempDir
    static Path tmp;
    LocalTestbed bed;
    SecureXmlRpcClient v3;
    Object[] creds;
    Object[] urns;
    String authority;
    /** user name part → private key file; the public key is next to it as .pub. */
    final Map<String, Path> keys = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        assumeTrue(onPath("ssh") && onPath("ssh-keygen"), "the OpenSSH client is not installed");
        Path keyDir = Files.createDirectories(tmp.resolve("keys"));
        keys.put("alice", keygen(keyDir, "alice", "ed25519"));
        keys.put("bob", keygen(keyDir, "bob", "rsa"));
        keys.put("carol", keygen(keyDir, "carol", "ed25519"));
        bed = LocalTestbed.start(tmp.resolve("bed"));
        v3 = bed.v3();
        authority = bed.amUrn().split("\\+")[1];
        creds = credentials(bed.sliceCredential(SLICE));
        urns = new Object[] {bed.sliceUrn(SLICE)};
    }

    @AfterAll
    void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void eachUserLogsInToEachVmWithTheirOwnKeyOnly() throws Exception {
        ok(v3.call("Allocate", urns[0], creds, Requests.snapshotSlice(bed.amUrn(), authority, new TreeMap<>(PLACEMENT), false),
                options()));
        Map<String, Object> o = options("geni_rspec_version", GENI3, "geni_users", users("alice", "bob"));
        ok(v3.call("Provision", urns, creds, o));
        Calls.awaitState(v3, urns, creds, "geni_ready", 300);
        ok(v3.call("PerformOperationalAction", urns, creds, "geni_start", options()));

        Map<String, Map<String, Login>> logins = logins();
        assertEquals(PLACEMENT.keySet(), logins.keySet());
        for (Map.Entry<String, Map<String, Login>> vm : logins.entrySet()) {
            assertEquals(List.of("alice", "bob"), List.copyOf(vm.getValue().keySet()), vm.getKey() + ": one login per user");
            for (Login l : vm.getValue().values()) {
                assertEquals("ssh-keys", l.authentication());
                assertTrue(l.hostname() != null && Integer.parseInt(l.port()) > 0, l.toString());
            }
            // Both users reach the same VM: one forward per VM.
            assertEquals(vm.getValue().get("alice").port(), vm.getValue().get("bob").port());
        }
        assertNotEquals(logins.get("web").get("alice").port(), logins.get("db").get("alice").port());
        for (String vm : PLACEMENT.keySet()) {
            awaitLogin(logins.get(vm).get("alice"), "alice", vm);
            assertEquals(0, ssh(logins.get(vm).get("bob"), "bob", "bob").exit(), vm + ": bob with his key");
            Ssh wrong = ssh(logins.get(vm).get("bob"), "bob", "alice");
            assertNotEquals(0, wrong.exit(), vm + ": bob's account must refuse alice's key");
            assertTrue(wrong.output().contains("Permission denied"), wrong.output());
            Ssh carol = ssh(logins.get(vm).get("alice"), "carol", "carol");
            assertNotEquals(0, carol.exit(), vm + ": carol is not a user yet: " + carol.output());
        }
    }

    @Test
    @Order(2)
    void geniUpdateUsersAddsAUserWhoCanThenLogIn() throws Exception {
        List<Map<String, Object>> r = slivers(ok(v3.call("PerformOperationalAction", urns, creds, "geni_update_users",
                options("geni_users", users("alice", "bob", "carol")))));
        assertEquals(2, r.size());
        r.forEach(s -> assertEquals("", s.get("geni_error"), s.toString()));
        assertEquals(0, code(v3.call("PerformOperationalAction", urns, creds, "geni_updating_users_cancel", options())));
        Map<String, Map<String, Login>> logins = logins();
        for (String vm : PLACEMENT.keySet()) {
            assertEquals(List.of("alice", "bob", "carol"), List.copyOf(logins.get(vm).keySet()));
            Ssh carol = ssh(logins.get(vm).get("carol"), "carol", "carol");
            assertEquals(0, carol.exit(), vm + ": carol after geni_update_users: " + carol.output());
            assertEquals(0, ssh(logins.get(vm).get("alice"), "alice", "alice").exit(), vm + ": alice still");
        }
    }

    @Test
    @Order(3)
    void loginsWorkAgainAfterASnapshotAndARestoreThroughTheAm() throws Exception {
        Map<String, Object> snap = struct(ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_snapshot", options())));
        String id = (String) snap.get("vnsnap_snapshot_id");
        Calls.awaitState(v3, urns, creds, "geni_ready", 300).forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome"),
                s.toString()));
        ok(v3.call("PerformOperationalAction", urns, creds, "vnsnap_restore", options("vnsnap_snapshot_id", id)));
        Calls.awaitState(v3, urns, creds, "geni_ready", 300).forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome"),
                s.toString()));
        // Re-read the manifest: a restore may move a VM's forward to another port.
        Map<String, Map<String, Login>> logins = logins();
        for (String vm : PLACEMENT.keySet()) {
            for (String user : List.of("alice", "bob", "carol")) {
                awaitLogin(logins.get(vm).get(user), user, vm);
            }
            assertNotEquals(0, ssh(logins.get(vm).get("carol"), "carol", "bob").exit(), vm + ": carol's account refuses bob's key");
        }
        System.out.printf("logins after the restore: %s%n", logins.values().stream()
                .map(m -> m.values().iterator().next()).map(l -> l.hostname() + ":" + l.port()).toList());
        ok(v3.call("Delete", urns, creds, options()));
    }

    // ---------------------------------------------------------------- helpers

    /** geni_users for users of this federation, each with their public key. */
    Object[] users(String... names) throws IOException {
        Object[] out = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            String pub = Files.readString(Path.of(keys.get(names[i]) + ".pub")).strip();
            out[i] = Map.of("urn", "urn:publicid:IDN+" + userAuthority() + "+user+" + names[i], "keys", new Object[] {pub});
        }
        return out;
    }

    /** The federation's user authority (alice's URN's), so the users look like her colleagues. */
    String userAuthority() {
        String urn = net.vnsnap.certs.x509.GeniCertificate.of(bed.alice().certificate()).urn().orElseThrow().toString();
        return urn.split("\\+")[1];
    }

    /** Describe's logins: node client_id → user name → login. */
    Map<String, Map<String, Login>> logins() throws Exception {
        Map<String, Object> d = struct(ok(v3.call("Describe", urns, creds, options("geni_rspec_version", GENI3))));
        RSpec m = new RSpecReader().read((String) d.get("geni_rspec"));
        Map<String, Map<String, Login>> out = new TreeMap<>();
        for (Node n : m.nodes()) {
            Map<String, Login> byUser = new TreeMap<>();
            n.services().ifPresent(s -> s.logins().forEach(l -> byUser.put(l.username(), l)));
            out.put(n.clientId(), byUser);
        }
        return out;
    }

    /** Retries until {@code user} logs in with their key (the guest may still be starting its SSH server). */
    void awaitLogin(Login l, String user, String vm) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SSH_UP_SECONDS);
        Ssh last = null;
        while (System.nanoTime() < end) {
            last = ssh(l, user, user);
            if (last.exit() == 0) {
                return;
            }
            Thread.sleep(2000);
        }
        throw new AssertionError(vm + ": " + user + " could not log in at " + l.hostname() + ":" + l.port() + " within "
                + SSH_UP_SECONDS + " s; last try: " + last);
    }

    record Ssh(int exit, String output) {
    }

    /** {@code ssh -i KEY -p PORT user@host true} with a fresh known-hosts and no agent or config. */
    Ssh ssh(Login l, String user, String keyOf) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", keys.get(keyOf).toString(), "-p", l.port(),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR",
                user + "@" + l.hostname(), "true"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Ssh(-1, "ssh timed out: " + String.join(" ", cmd));
        }
        return new Ssh(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static Path keygen(Path dir, String name, String type) throws Exception {
        Path key = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", "", "-C", name + "@vnsnap-test", "-f",
                key.toString()));
        if (type.equals("rsa")) {
            cmd.addAll(List.of("-b", "2048"));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "ssh-keygen failed: "
                + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        return key;
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
