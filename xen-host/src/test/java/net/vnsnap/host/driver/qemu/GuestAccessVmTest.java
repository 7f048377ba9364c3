package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.snapshot.VmSnapshotService;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Experimenter SSH into a real test guest: keys from the boot list, list updates, and a restore onto a new port. */
class GuestAccessVmTest {
    private static final Pattern SSH_UP = Pattern.compile("vnsnap-access: SSH-UP nic=(\\S+) ip=(\\S+)");
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;
    private QemuDriver driver;
    private long t0;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh")) && Files.isExecutable(Path.of("/usr/bin/ssh-keygen")),
                "openssh-client is not installed (bin/lib/install-qemu.sh installs it); skipping SSH tests");
        TestGuest.dir();
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
        t0 = System.nanoTime();
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void loginsFollowTheUserListThroughUpdatesAndARestoreOntoANewPort() throws Exception {
        String alice = keyPair("alice");
        String bob = keyPair("bob");
        String carol = keyPair("carol");
        keyPair("mallory");
        int port = freePort();
        VmSpec base = QemuVms.guest("ssh1", 128, "10.0.9.1/24", QemuVms.loneTunnel());
        // The control NIC first (eth0): the guest must still give vm.ip to the experiment NIC.
        NicSpec ctl = new NicSpec("ctl", "52:54:00:ce:00:01", new NetworkAttachment.HostForward(port, 22));
        VmSpec spec = new VmSpec(base.name(), base.memoryMiB(), base.vcpus(), base.boot(), base.disks(),
                List.of(ctl, base.nics().get(0)), GuestAccess.of(new GuestUser("alice", alice), new GuestUser("bob", bob)));
        ConsoleLog log = QemuVms.boot(driver, spec);
        log.await(Pattern.compile("USERSPACE-UP name=ssh1 ip=10.0.9.1/24 uptime=\\S+ mac=52:54:00:12:34:01"), 0, WAIT);
        log.await(SSH_UP, 0, WAIT);
        step("booted, sshd up");

        assertLogin(port, "alice", "alice");
        assertLogin(port, "bob", "bob");
        assertNoLogin(port, "alice", "mallory");
        assertNoLogin(port, "bob", "alice");
        assertNoLogin(port, "root", "alice");
        step("boot list: 2 logins, 3 refusals");
        Result net = ssh(port, "alice", "alice", "ip -o -4 addr show; ip route");
        assertTrue(net.output.matches("(?s).*eth1\\s+inet 10\\.0\\.9\\.1/24.*"), "the experiment NIC has vm.ip: " + net.output);
        assertTrue(net.output.matches("(?s).*eth0\\s+inet 100\\.127\\.255\\.15/24.*"), "the control NIC has its lease: " + net.output);
        assertFalse(net.output.contains("default"), "the control NIC must not add a default route: " + net.output);
        String hostKey = hostKey(port);

        driver.updateUsers("ssh1", List.of(new GuestUser("alice", alice), new GuestUser("carol", carol)));
        step("update 1 acknowledged");
        assertLogin(port, "carol", "carol");
        assertLogin(port, "alice", "alice");
        assertNoLogin(port, "bob", "bob");
        assertEquals(List.of("alice", "carol"), driver.spec("ssh1").access().users().stream().map(GuestUser::login).toList());
        step("update 1: carol in, bob out");

        String mallory = Files.readString(tmp.resolve("id_mallory.pub"), StandardCharsets.UTF_8).strip();
        DriverException refused = assertThrows(DriverException.class, () -> driver.updateUsers("ssh1",
                List.of(new GuestUser("alice", mallory), new GuestUser("root", mallory))));
        assertTrue(refused.getMessage().contains("system account"), refused.getMessage());
        assertNoLogin(port, "alice", "mallory");
        assertLogin(port, "alice", "alice");
        assertNoLogin(port, "root", "mallory");
        assertEquals(List.of("alice", "carol"), driver.spec("ssh1").access().users().stream().map(GuestUser::login).toList());
        step("a list naming root is refused and changes nothing");

        driver.pause("ssh1");
        DriverException paused = assertThrows(DriverException.class, () -> driver.updateUsers("ssh1", List.of()));
        assertTrue(paused.getMessage().contains("PAUSED"), paused.getMessage());
        driver.resume("ssh1");

        SnapshotStore store = SnapshotStore.open(tmp.resolve("store"));
        VmSnapshotService service = new VmSnapshotService(driver, store);
        VmSnapshotService.Taken taken = service.snapshot("ssh1", SnapshotMode.COW, null);
        step("cow snapshot");
        assertLogin(port, "alice", "alice");
        driver.destroy("ssh1");

        int port2 = freePort();
        assertNotEquals(port, port2);
        VmSnapshotService.Restored r = service.restore(taken.manifest().id(), null, Duration.ofMinutes(2),
                s -> s.withHostForwardPort("ctl", port2));
        assertEquals(VmState.RESTORED_PAUSED, driver.state("ssh1"));
        driver.resume("ssh1");
        step("restored onto port " + port2 + " in " + r.result().loadTime().toMillis() + " ms");
        assertLogin(port2, "alice", "alice");
        assertLogin(port2, "carol", "carol");
        assertNoLogin(port2, "bob", "bob");
        assertEquals(hostKey, hostKey(port2), "a restored guest keeps its SSH host key");
        step("restored: same logins and host key on the new port");

        driver.updateUsers("ssh1", List.of(new GuestUser("bob", bob), new GuestUser("carol", carol)));
        assertLogin(port2, "bob", "bob");
        assertNoLogin(port2, "alice", "alice");
        step("update after restore: bob back, alice out");
        String consoleTail = QemuVms.console(driver, "ssh1").tail(5);
        assertTrue(consoleTail.contains("users updated (users=2)"), consoleTail);
    }

    private void step(String what) {
        System.out.printf("GuestAccessVmTest %6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /** Generates an ed25519 key pair in the temp dir and returns the public key line. */
    private String keyPair(String name) throws IOException, InterruptedException {
        Path key = tmp.resolve("id_" + name);
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", key.toString()));
        return Files.readString(tmp.resolve("id_" + name + ".pub"), StandardCharsets.UTF_8).strip();
    }

    private void assertLogin(int port, String user, String key) throws Exception {
        Result r = ssh(port, user, key);
        assertEquals(0, r.exit, user + " with " + key + "'s key must log in: " + r.output);
        assertTrue(r.output.contains("whoami=" + user), r.output);
    }

    private void assertNoLogin(int port, String user, String key) throws Exception {
        Result r = ssh(port, user, key);
        assertEquals(255, r.exit, user + " with " + key + "'s key must be refused: " + r.output);
        assertTrue(r.output.contains("Permission denied"), r.output);
    }

    private record Result(int exit, String output) {
    }

    private Result ssh(int port, String user, String key) throws Exception {
        return ssh(port, user, key, "echo whoami=$(id -un)");
    }

    private Result ssh(int port, String user, String key, String command) throws Exception {
        return run(List.of("ssh", "-F", "/dev/null", "-i", tmp.resolve("id_" + key).toString(), "-p", Integer.toString(port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=60", "-o", "LogLevel=ERROR",
                user + "@127.0.0.1", command));
    }

    /** The guest's ed25519 host key as ssh-keyscan sees it through the forward. */
    private static String hostKey(int port) throws Exception {
        Result r = run(List.of("ssh-keyscan", "-T", "60", "-t", "ed25519", "-p", Integer.toString(port), "127.0.0.1"));
        String line = r.output.lines().filter(l -> l.contains("ssh-ed25519")).findFirst()
                .orElseThrow(() -> new AssertionError("no host key from port " + port + ": " + r.output));
        return line.substring(line.indexOf("ssh-ed25519"));
    }

    private static Result run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(argv.get(0) + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
