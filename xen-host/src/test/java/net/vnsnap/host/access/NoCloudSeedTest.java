package net.vnsnap.host.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import net.vnsnap.host.driver.GuestUser;
import org.junit.jupiter.api.Test;

/** The seed's YAML, parsed back with a YAML parser, and its refusals. */
class NoCloudSeedTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final String ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ybm9jbG91ZHNlZWR0ZXN0aW5nMDE alice@laptop";
    static final String RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7dGVzdGtleQ== bob";

    @Test
    void metaDataNamesInstanceAndHost() throws Exception {
        NoCloudSeed seed = new NoCloudSeed("vnsnap-node1-abc", "node1", List.of(), List.of());
        JsonNode m = YAML.readTree(seed.metaData());
        assertEquals("vnsnap-node1-abc", m.path("instance-id").asText());
        assertEquals("node1", m.path("local-hostname").asText());
        assertEquals(2, m.size(), seed.metaData());
    }

    @Test
    void userDataCreatesEachUserWithKeysSudoAndLockedPassword() throws Exception {
        NoCloudSeed seed = new NoCloudSeed("iid-1", "node1",
                List.of(new GuestUser("alice", ED, RSA), new GuestUser("bob", RSA), new GuestUser("carol")), List.of());
        String ud = seed.userData();
        assertTrue(ud.startsWith("#cloud-config\n"), "cloud-init needs the #cloud-config first line");
        JsonNode u = YAML.readTree(ud);
        assertFalse(u.path("ssh_pwauth").asBoolean(true));
        assertEquals("node1", u.path("hostname").asText());
        JsonNode users = u.path("users");
        assertEquals(3, users.size());
        JsonNode alice = users.get(0);
        assertEquals("alice", alice.path("name").asText());
        assertEquals("/bin/bash", alice.path("shell").asText());
        assertEquals("ALL=(ALL) NOPASSWD:ALL", alice.path("sudo").asText());
        assertTrue(alice.path("lock_passwd").asBoolean(false));
        assertEquals(List.of(ED, RSA), texts(alice.path("ssh_authorized_keys")));
        assertEquals(List.of(RSA), texts(users.get(1).path("ssh_authorized_keys")));
        assertEquals("carol", users.get(2).path("name").asText());
        assertTrue(users.get(2).path("ssh_authorized_keys").isArray());
        assertEquals(0, users.get(2).path("ssh_authorized_keys").size());
    }

    @Test
    void noUsersMeansAnEmptyListNotTheDistributionDefault() throws Exception {
        JsonNode u = YAML.readTree(new NoCloudSeed("iid-1", "n", List.of(), List.of()).userData());
        assertTrue(u.path("users").isArray());
        assertEquals(0, u.path("users").size());
    }

    @Test
    void yamlSyntaxInAKeyCommentStaysInsideTheKey() throws Exception {
        // Printable ASCII that YAML gives meaning to: quotes, '#', ': ', '{', '- ', a backslash.
        String hostile = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0 x\" , sudo: \"ALL\" # {a: [b]} - c \\n users: []";
        NoCloudSeed seed = new NoCloudSeed("iid-1", "n", List.of(new GuestUser("eve", hostile)), List.of());
        JsonNode u = YAML.readTree(seed.userData());
        assertEquals(1, u.path("users").size());
        JsonNode eve = u.path("users").get(0);
        assertEquals(List.of(hostile), texts(eve.path("ssh_authorized_keys")));
        assertEquals("ALL=(ALL) NOPASSWD:ALL", eve.path("sudo").asText());
    }

    @Test
    void refusesKeysOfTheWrongShapeAndBadNames() {
        // GuestUser lets '=' inside the base64 part through; the seed does not.
        GuestUser odd = new GuestUser("mallory", "ssh-ed25519 AAAA=AAAAAAAAAAAAAAAAAAAA c");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NoCloudSeed("iid-1", "n", List.of(odd), List.of()));
        assertTrue(e.getMessage().contains("mallory"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NoCloudSeed("iid 1", "n", List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new NoCloudSeed("iid-1", "Node_1", List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new NoCloudSeed("iid-1", "n",
                List.of(new GuestUser("a", ED), new GuestUser("a", RSA)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new NoCloudSeed.Interface("ctl", "52:54:00:00:00", true, null));
        assertThrows(IllegalArgumentException.class, () -> new NoCloudSeed.Interface("net0", "52:54:00:00:00:01", false, "10.0.0.300/24"));
        assertThrows(IllegalArgumentException.class, () -> NoCloudSeed.quote("a\nb"));
    }

    @Test
    void hostnamesComeFromVmNames() {
        assertEquals("node-1", NoCloudSeed.hostnameFor("Node_1"));
        assertEquals("a-b", NoCloudSeed.hostnameFor("a.b"));
        assertEquals("x", NoCloudSeed.hostnameFor("x--"));
        assertEquals(63, NoCloudSeed.hostnameFor("a".repeat(63)).length());
    }

    @Test
    void networkConfigMatchesNicsByMac() throws Exception {
        NoCloudSeed seed = new NoCloudSeed("iid-1", "n", List.of(), List.of(
                new NoCloudSeed.Interface("net0", "52:54:00:12:34:01", false, "10.10.1.1/24"),
                new NoCloudSeed.Interface("ctl", "06:56:4E:00:00:01", true, null)));
        JsonNode n = YAML.readTree(seed.networkConfig());
        assertEquals(2, n.path("version").asInt());
        JsonNode net0 = n.path("ethernets").path("net0");
        assertEquals("52:54:00:12:34:01", net0.path("match").path("macaddress").asText());
        assertFalse(net0.path("dhcp4").asBoolean(true));
        assertEquals(List.of("10.10.1.1/24"), texts(net0.path("addresses")));
        JsonNode ctl = n.path("ethernets").path("ctl");
        assertEquals("06:56:4e:00:00:01", ctl.path("match").path("macaddress").asText());
        assertTrue(ctl.path("dhcp4").asBoolean(false));
        assertFalse(ctl.path("dhcp4-overrides").path("use-routes").asBoolean(true));
        assertNull(new NoCloudSeed("iid-1", "n", List.of(), List.of()).networkConfig());
    }

    private static List<String> texts(JsonNode array) {
        assertTrue(array.isArray(), String.valueOf(array));
        List<String> out = new java.util.ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }
}
