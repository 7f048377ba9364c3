package net.vnsnap.host.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cloud images in the agent: disk boot, the NoCloud seed drive (real genisoimage and qemu-img), refused user updates. */
class CloudImageAgentTest {
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+s1";
    private static final int PORT_BASE = 31000 + (int) (ProcessHandle.current().pid() % 300) * 20;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ybm9jbG91ZHNlZWR0ZXN0aW5nMDE alice";

    @TempDir
    Path tmp;
    private FakeDriver driver;
    private VirtualSwitch sw;
    private ExecutorService workers;
    private LocalHostAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(tool("genisoimage") && tool("isoinfo") && tool("qemu-img"),
                "genisoimage/isoinfo (Debian genisoimage) or qemu-img missing: bin/vnsnap setup installs them");
        FakeTiming timing = new FakeTiming(Instant.parse("2026-01-01T00:00:00Z"));
        driver = new FakeDriver(timing);
        sw = VirtualSwitch.start("test", SwitchConfig.defaults());
        workers = Executors.newFixedThreadPool(2);
        Path base = tmp.resolve("cloud.raw");
        Files.write(base, new byte[1 << 20]);
        Path kernel = tmp.resolve("vmlinux");
        Files.write(kernel, new byte[16]);
        AgentSettings s = new AgentSettings("h1", "127.0.0.1:4790", Map.of(
                "cloud", new ImageSpec("cloud", null, null, null, base, true),
                "kseed", new ImageSpec("kseed", kernel, null, "console=ttyS0", null, true)),
                4, "127.0.0.1", PORT_BASE, PORT_BASE + 19, tmp.resolve("disks"), Path.of("qemu-img"), Duration.ofMillis(200),
                Duration.ofSeconds(30), Duration.ofSeconds(30), "127.0.0.1", "127.0.0.1", PORT_BASE + 100, PORT_BASE + 119);
        agent = LocalHostAgent.open(s, driver, sw, tmp.resolve("store"), timing, workers, p -> 1L << 40);
        agent.createSegment(new SegmentSpec(SLICE, "lan0", 7, ColourPolicy.HOLD_AND_RECORD));
    }

    @AfterEach
    void tearDown() {
        if (agent != null) {
            agent.close();
            sw.close();
            workers.shutdownNow();
        }
    }

    private static boolean tool(String name) {
        try {
            Process p = new ProcessBuilder(name, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String isoFile(Path iso, String file) throws Exception {
        Process p = new ProcessBuilder("isoinfo", "-R", "-i", iso.toString(), "-x", "/" + file).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    private VmRequest request(String name, String image, List<GuestUser> users) {
        return new VmRequest(name, SLICE, 128, 1, image,
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:01", "lan0", "10.0.0.1/24")), Map.of(), users);
    }

    @Test
    void aCloudImageBootsFromItsDiskWithTheSeedAsAReadOnlyDrive() throws Exception {
        agent.createVm(request("node_1", "cloud", List.of(new GuestUser("alice", KEY))));
        VmSpec spec = driver.spec("node_1");
        assertInstanceOf(BootSource.Disk.class, spec.boot());
        assertEquals(List.of("disk0", "cidata"), spec.disks().stream().map(DiskSpec::id).toList());
        DiskSpec seed = spec.disks().get(1);
        assertTrue(seed.readOnly() && seed.format().equals("raw"), seed.toString());
        assertFalse(spec.disks().get(0).readOnly());
        assertTrue(Files.isRegularFile(seed.image()));

        JsonNode meta = YAML.readTree(isoFile(seed.image(), "meta-data"));
        assertEquals("node-1", meta.path("local-hostname").asText());
        assertTrue(meta.path("instance-id").asText().startsWith("vnsnap-node_1-"), meta.toString());
        JsonNode user = YAML.readTree(isoFile(seed.image(), "user-data"));
        assertEquals("alice", user.path("users").get(0).path("name").asText());
        assertEquals(KEY, user.path("users").get(0).path("ssh_authorized_keys").get(0).asText());
        JsonNode net = YAML.readTree(isoFile(seed.image(), "network-config")).path("ethernets");
        assertEquals("10.0.0.1/24", net.path("net0").path("addresses").get(0).asText());
        assertEquals(LocalHostAgent.controlMac("node_1"), net.path("ctl").path("match").path("macaddress").asText());
        assertTrue(net.path("ctl").path("dhcp4").asBoolean());

        HostException e = assertThrows(HostException.class, () -> agent.updateUsers("node_1", List.of(new GuestUser("bob", KEY))));
        assertEquals(Reason.UNSUPPORTED_MODE, e.reason());
        assertTrue(e.getMessage().contains("cloud image"), e.getMessage());
        assertEquals(List.of("alice"), driver.spec("node_1").access().users().stream().map(GuestUser::login).toList());

        agent.destroyVm("node_1");
        assertFalse(Files.exists(seed.image()), "the seed goes with the VM when no snapshot froze it");
        assertFalse(Files.exists(spec.disks().get(0).image()));
    }

    @Test
    void aKernelImageCanCarryASeedToo() throws Exception {
        agent.createVm(request("k1", "kseed", null));
        VmSpec spec = driver.spec("k1");
        assertInstanceOf(BootSource.Kernel.class, spec.boot());
        assertEquals(List.of("cidata"), spec.disks().stream().map(DiskSpec::id).toList());
        JsonNode user = YAML.readTree(isoFile(spec.disks().get(0).image(), "user-data"));
        assertEquals(0, user.path("users").size(), "no users in the request: no accounts, and not the distribution's default user");
        JsonNode net = YAML.readTree(isoFile(spec.disks().get(0).image(), "network-config")).path("ethernets");
        assertFalse(net.has("ctl"), "no guest access, no control NIC");
    }
}
