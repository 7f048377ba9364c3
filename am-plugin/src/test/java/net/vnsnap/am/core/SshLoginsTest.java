package net.vnsnap.am.core;

import static net.vnsnap.am.core.AmFixture.GENI3;
import static net.vnsnap.am.core.AmFixture.code;
import static net.vnsnap.am.core.AmFixture.creds;
import static net.vnsnap.am.core.AmFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** geni_users through the AM: keys to every VM, logins derived once per slice, and manifest logins on the hosts' ports. */
class SshLoginsTest {
    private static final String ALICE = "urn:publicid:IDN+vnsnap:test+user+alice";
    private static final String BOB = "urn:publicid:IDN+ch.geni.net+user+Bob.Smith";
    /** Another authority's alice: her login must not be the first alice's. */
    private static final String OTHER_ALICE = "urn:publicid:IDN+other.example+user+alice";
    private static final String KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceAliceAliceAliceAliceAliceAliceAlice alice@x";
    private static final String KEY_A2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice2Alice2Alice2Alice2Alice2Alice2Alic alice@y";
    private static final String KEY_B = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQBobBobBobBobBobBobBobBobBobBobBobBob bob@z";
    private static final String KEY_C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherAliceOtherAliceOtherAliceOtherAl oa@w";

    @TempDir
    static Path dir;
    static AmFixture fx;
    static String demo;
    static String demoCred;

    @BeforeAll
    static void federation() throws Exception {
        fx = new AmFixture(dir);
        demo = fx.sliceUrn("demo");
        demoCred = fx.cred("demo");
    }

    private static Object[] users(Object... urnKeys) {
        Object[] out = new Object[urnKeys.length / 2];
        for (int i = 0; i < urnKeys.length; i += 2) {
            out[i / 2] = Map.of("urn", urnKeys[i], "keys", new Object[] {urnKeys[i + 1]});
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> value(Map<String, Object> r) {
        assertEquals(0, code(r), () -> "expected success, got " + r);
        return (Map<String, Object>) r.get("value");
    }

    private AmFixture.Harness provisioned(Object[] users) throws Exception {
        var h = fx.new Harness();
        value(h.v3(fx.alice, "Allocate", demo, creds(demoCred), AmFixture.twoNodes(true), options()));
        Map<String, Object> o = new HashMap<>(options("geni_users", users));
        o.put("geni_rspec_version", GENI3);
        value(h.v3(fx.alice, "Provision", new Object[] {demo}, creds(demoCred), o));
        return h;
    }

    private Map<String, Object> poa(AmFixture.Harness h, String action, Map<String, Object> opts) {
        return h.v3(fx.alice, "PerformOperationalAction", new Object[] {demo}, creds(demoCred), action, opts);
    }

    /** "host:port:user" of each login of a node in the Describe manifest. */
    private List<String> logins(AmFixture.Harness h, String clientId) throws Exception {
        Map<String, Object> d = value(h.v3(fx.alice, "Describe", new Object[] {demo}, creds(demoCred),
                options("geni_rspec_version", GENI3)));
        Node n = new RSpecReader().read((String) d.get("geni_rspec")).node(clientId).orElseThrow();
        List<Login> l = n.services().map(x -> x.logins()).orElse(List.of());
        l.forEach(x -> assertEquals("ssh-keys", x.authentication()));
        return l.stream().map(x -> x.hostname() + ":" + x.port() + ":" + x.username()).toList();
    }

    private static List<String> logins(List<GuestUser> users) {
        return users.stream().map(GuestUser::login).toList();
    }

    @Test
    void aHostWithoutGuestAccessGetsVmsWithoutUsersAndAdvertisesNoLogin() throws Exception {
        var h = fx.new Harness();
        h.h2.guestAccess = false;
        Map<String, Object> r = h.v3(fx.alice, "ListResources", new Object[0], options("geni_rspec_version", GENI3));
        var ad = new RSpecReader().read((String) r.get("value"));
        Map<String, Boolean> login = new HashMap<>();
        ad.nodes().forEach(n -> login.put(n.componentId(), n.services().map(x -> !x.logins().isEmpty()).orElse(false)));
        assertEquals(Map.of("urn:publicid:IDN+vnsnap:test+node+h1", true, "urn:publicid:IDN+vnsnap:test+node+h2", false), login);

        value(h.v3(fx.alice, "Allocate", demo, creds(demoCred), AmFixture.twoNodes(true), options()));
        Map<String, Object> o = new HashMap<>(options("geni_users", users(ALICE, KEY_A)));
        o.put("geni_rspec_version", GENI3);
        value(h.v3(fx.alice, "Provision", new Object[] {demo}, creds(demoCred), o));
        assertEquals(List.of(new GuestUser("alice", KEY_A)), h.h1.requests.values().iterator().next().users());
        assertEquals(null, h.h2.requests.values().iterator().next().users(), "no users for a VM whose host has no guest access");
        assertEquals(List.of(), logins(h, "vm2"), "and no login in the manifest");
    }

    @Test
    void provisionGivesEveryVmTheKeysAndTheManifestOneLoginPerUser() throws Exception {
        var h = provisioned(users(ALICE, KEY_A + "\n" + KEY_A2 + "\n", BOB, KEY_B));
        VmRequest r1 = h.h1.requests.values().iterator().next();
        assertEquals(List.of(new GuestUser("alice", KEY_A, KEY_A2), new GuestUser("bob_smith", KEY_B)), r1.users(),
                "one string with two key lines gives two keys");
        assertEquals(r1.users(), h.h2.requests.values().iterator().next().users());
        assertEquals(List.of("h1.ssh.example.net:22000:alice", "h1.ssh.example.net:22000:bob_smith"), logins(h, "vm1"));
        assertEquals(List.of("h2.ssh.example.net:22000:alice", "h2.ssh.example.net:22000:bob_smith"), logins(h, "vm2"));
    }

    @Test
    void updateUsersReachesEveryVmAndLoginsStayWithTheirUrns() throws Exception {
        var h = provisioned(users(ALICE, KEY_A));
        Map<String, Object> r = poa(h, "geni_update_users", options("geni_users", users(BOB, KEY_B, OTHER_ALICE, KEY_C, ALICE, KEY_A2)));
        assertEquals(0, code(r), r::toString);
        for (FakeHost fh : List.of(h.h1, h.h2)) {
            List<GuestUser> now = fh.users.values().iterator().next();
            assertEquals(List.of("bob_smith", "alice2", "alice"), logins(now), "the first alice keeps her login");
            assertEquals(List.of(KEY_A2), now.get(2).keys());
        }
        assertEquals(List.of("h1.ssh.example.net:22000:bob_smith", "h1.ssh.example.net:22000:alice2",
                "h1.ssh.example.net:22000:alice"), logins(h, "vm1"));

        // Alice leaves; the other alice keeps "alice2" rather than taking the free "alice".
        assertEquals(0, code(poa(h, "geni_update_users", options("geni_users", users(OTHER_ALICE, KEY_C)))));
        assertEquals(List.of("alice2"), logins(h.h2.users.values().iterator().next()));
        assertEquals(List.of("h2.ssh.example.net:22000:alice2"), logins(h, "vm2"));
        assertTrue(h.store.get(demo).orElseThrow().attributes().get(SliceUsers.LOGINS).contains("alice2"));

        assertEquals(0, code(poa(h, "geni_updating_users_cancel", options())), "nothing to cancel, accepted");
        assertEquals(1, code(poa(h, "geni_update_users", options("geni_users", users("urn:publicid:IDN+x+slice+s", KEY_A)))),
                "a slice URN is no user");
    }

    @Test
    void aHostFailingTheUpdateFailsTheCallAndRestoresTheOthers() throws Exception {
        var h = provisioned(users(ALICE, KEY_A));
        h.h2.fail("updateUsers", HostException.Reason.UNREACHABLE);
        assertEquals(11, code(poa(h, "geni_update_users", options("geni_users", users(BOB, KEY_B)))));
        assertEquals(List.of("alice"), logins(h.h1.users.values().iterator().next()), "h1 got the old list back");
        Map<String, Object> be = new HashMap<>(options("geni_users", users(BOB, KEY_B)));
        be.put("geni_best_effort", true);
        assertEquals(0, code(poa(h, "geni_update_users", be)));
        assertEquals(List.of("bob_smith"), logins(h.h1.users.values().iterator().next()), "best effort updates the reachable host");
    }

    @Test
    void describeShowsTheNewPortOfARestoredVm() throws Exception {
        var h = provisioned(users(ALICE, KEY_A));
        String vm = h.h1.requests.keySet().iterator().next();
        int moved = h.h1.moveSshPort(vm);
        assertEquals(List.of("h1.ssh.example.net:" + moved + ":alice"), logins(h, "vm1"));
        assertEquals("h1.ssh.example.net:" + moved, h.store.get(demo).orElseThrow().attributes().get(SliceUsers.SSH + vm),
                "the new port is stored");
    }

    @Test
    void aSliceWithoutUsersStillGetsGuestAccessForALaterUpdate() throws Exception {
        var h = provisioned(new Object[0]);
        assertEquals(List.of(), h.h1.requests.values().iterator().next().users());
        assertEquals(List.of(), logins(h, "vm1"));
        assertEquals(0, code(poa(h, "geni_update_users", options("geni_users", users(ALICE, KEY_A)))));
        assertEquals(List.of("h1.ssh.example.net:22000:alice"), logins(h, "vm1"));
    }
}
