package net.vnsnap.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.rpc.RemoteHostAgent;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two vnsnap-hostd processes on this machine, each with one VM, one segment joined by a tunnel: the guests ping
 * each other across the "hosts"; a snapshot of both at one cut instant restores and they ping again; a caller outside
 * the allowed set is refused; SIGTERM destroys the VMs, or leaves them with shutdown.vms=leave.
 */
class HostDaemonProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(150);
    private static final Pattern READY = Pattern.compile(Pattern.quote(HostDaemon.READY) + " host=(\\S+) rpc=(\\S+) tunnel=(\\S+)");
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+twohosts";

    @TempDir
    Path tmp;
    private final List<Process> daemons = new ArrayList<>();

    /** A started daemon: its process and what it printed when ready. */
    private record Daemon(Process process, URI rpc, String tunnel, Path log) {
    }

    @AfterEach
    void stopDaemons() throws InterruptedException {
        for (Process p : daemons) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Daemon start(String name, Path guest, LocalFederation fed, String amUrn, int portBase, String shutdownPolicy) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path cfg = dir.resolve("hostd.properties");
        Files.writeString(cfg, String.join("\n",
                "host.id=" + name,
                "listen.address=127.0.0.1",
                "listen.port=0",
                "identity.cert=" + fed.serverDirectory(name).resolve("cert.pem"),
                "identity.key=" + fed.serverDirectory(name).resolve("key.pem"),
                "trust.roots=" + fed.trustRootsDirectory(),
                "allowed.callers=" + amUrn,
                "store.dir=store",
                "run.dir=run",
                "tunnel.bind.host=127.0.0.1",
                "tunnel.bind.port=0",
                "image.guest.kernel=" + guest.resolve("vmlinux"),
                "image.guest.initrd=" + guest.resolve("initramfs.cpio.gz"),
                "vm.max=2",
                "vm.ports=" + portBase + "-" + (portBase + 9),
                "shutdown.vms=" + shutdownPolicy, ""));
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = dir.resolve("hostd.log");
        Process p = new ProcessBuilder(java.toString(), "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp,
                "net.vnsnap.host.HostDaemon", "--config", cfg.toString()).redirectError(log.toFile()).start();
        daemons.add(p);
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(64);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.offer(l);
                }
            } catch (IOException e) {
                // the daemon is gone
            }
        }, "stdout-" + name);
        reader.setDaemon(true);
        reader.start();
        String line = lines.poll(90, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError(name + " did not print its ready line; stderr: " + Files.readString(log));
        }
        Matcher m = READY.matcher(line);
        assertTrue(m.find(), line);
        assertEquals(name, m.group(1));
        return new Daemon(p, URI.create(m.group(2)), m.group(3), log);
    }

    private static VmRequest vm(String name, int octet, String peer) {
        return new VmRequest(name, SLICE, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:20:0" + octet, "lan0", "10.0.8." + octet + "/24")),
                Map.of("work", "ping -i 0.5 " + peer));
    }

    @Test
    void twoDaemonsJoinOneSegmentByATunnelAndTheirGuestsPingEachOther() throws Exception {
        TestGuest.assumeQemu();
        Path guest = TestGuest.dir();
        Clock clock = Clock.systemUTC();
        LocalFederation fed = LocalFederation.create(tmp.resolve("fed"), "vnsnap//test", Duration.ofDays(30), clock);
        fed.issueServer("hostd1", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        fed.issueServer("hostd2", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        Identity am = fed.issueServer("am", List.of("localhost"), Duration.ofDays(30));
        Identity intruder = fed.issueServer("intruder", List.of("localhost"), Duration.ofDays(30));
        String amUrn = GeniCertificate.of(am.certificate()).urn().orElseThrow().toString();
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), clock), clock, true);
        int base = 48000 + (int) (ProcessHandle.current().pid() % 200) * 20;

        Daemon d1 = start("hostd1", guest, fed, amUrn, base, "destroy");
        Daemon d2 = start("hostd2", guest, fed, amUrn, base + 10, "leave");
        SSLContext amTls = TlsContexts.create(am, v);
        HostAgent h1 = new RemoteHostAgent(d1.rpc(), amTls, Duration.ofSeconds(30), Duration.ofMinutes(5));
        HostAgent h2 = new RemoteHostAgent(d2.rpc(), amTls, Duration.ofSeconds(30), Duration.ofMinutes(5));
        assertEquals("hostd1", h1.info().hostId());
        assertEquals(d2.tunnel(), h2.info().tunnelEndpoint());

        HostAgent stranger = new RemoteHostAgent(d1.rpc(), TlsContexts.create(intruder, v), Duration.ofSeconds(30), Duration.ofSeconds(30));
        assertEquals(HostException.Reason.FORBIDDEN, assertThrows(HostException.class, stranger::vms).reason());

        SegmentSpec lan = new SegmentSpec(SLICE, "lan0", 77, ColourPolicy.HOLD_AND_RECORD);
        h1.createSegment(lan);
        h2.createSegment(lan);
        h1.connectSegment(SLICE, "lan0", d2.tunnel());
        h2.connectSegment(SLICE, "lan0", d1.tunnel());
        VmInfo a = h1.createVm(vm("vma", 1, "10.0.8.2"));
        VmInfo b = h2.createVm(vm("vmb", 2, "10.0.8.1"));
        assertEquals(HostException.Reason.NO_SUCH_VM, assertThrows(HostException.class, () -> h1.vm("vmb")).reason());

        ConsoleLog la = new ConsoleLog(Path.of(a.consoleLog()));
        ConsoleLog lb = new ConsoleLog(Path.of(b.consoleLog()));
        la.await(Pattern.compile("bytes from 10\\.0\\.8\\.2: seq="), 0, WAIT);
        lb.await(Pattern.compile("bytes from 10\\.0\\.8\\.1: seq="), 0, WAIT);

        // A slice snapshot across both hosts: the same cut instant on both, commit, destroy, restore, resume together.
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            assertTrue(h1.prepareSnapshot(new SnapshotPlan("x1", SLICE, 1, SnapshotMode.COW, false, List.of("vma"))).ready());
            assertTrue(h2.prepareSnapshot(new SnapshotPlan("x1", SLICE, 1, SnapshotMode.COW, false, List.of("vmb"))).ready());
            Instant cutAt = Instant.now().plusMillis(1000);
            Future<List<VmCut>> c1 = two.submit(() -> h1.takeSnapshot("x1", cutAt));
            Future<List<VmCut>> c2 = two.submit(() -> h2.takeSnapshot("x1", cutAt));
            Instant a1 = c1.get(3, TimeUnit.MINUTES).get(0).cutAt();
            Instant b1 = c2.get(3, TimeUnit.MINUTES).get(0).cutAt();
            assertTrue(Duration.between(a1, b1).abs().toMillis() < 500, "cuts on both hosts line up: " + a1 + " vs " + b1);
            assertTrue(h1.commitSnapshot("x1").complete());
            assertTrue(h2.commitSnapshot("x1").complete());
            h1.destroyVm("vma");
            h2.destroyVm("vmb");
            List<VmInfo> ra = h1.restoreSnapshot("x1", 1);
            List<VmInfo> rb = h2.restoreSnapshot("x1", 1);
            Instant resumeAt = Instant.now().plusMillis(1000);
            Future<List<VmInfo>> u1 = two.submit(() -> h1.resumeRestored("x1", resumeAt));
            Future<List<VmInfo>> u2 = two.submit(() -> h2.resumeRestored("x1", resumeAt));
            u1.get(2, TimeUnit.MINUTES);
            u2.get(2, TimeUnit.MINUTES);
            ConsoleLog ra1 = new ConsoleLog(Path.of(ra.get(0).consoleLog()));
            ConsoleLog rb1 = new ConsoleLog(Path.of(rb.get(0).consoleLog()));
            ra1.await(Pattern.compile("bytes from 10\\.0\\.8\\.2: seq="), 0, WAIT);
            rb1.await(Pattern.compile("bytes from 10\\.0\\.8\\.1: seq="), 0, WAIT);
        } finally {
            two.shutdownNow();
        }

        // SIGTERM: the daemon stops cleanly and, by its shutdown policy, takes its VM with it.
        d1.process().destroy();
        assertTrue(d1.process().waitFor(60, TimeUnit.SECONDS), "hostd1 exits on SIGTERM");
        String stderr = Files.readString(d1.log());
        assertTrue(stderr.contains("vnsnap-hostd hostd1 stopped"), stderr);
        assertEquals(List.of(), qemuOf(tmp.resolve("hostd1/run")), "no QEMU of hostd1 outlives it");
        assertEquals(HostException.Reason.UNREACHABLE, assertThrows(HostException.class, h1::info).reason());

        // hostd2 says shutdown.vms=leave: its QEMU outlives it (and is cleaned up here).
        d2.process().destroy();
        assertTrue(d2.process().waitFor(60, TimeUnit.SECONDS), "hostd2 exits on SIGTERM");
        List<ProcessHandle> left = qemuOf(tmp.resolve("hostd2/run"));
        assertEquals(1, left.size(), "the VM of hostd2 is left running");
        left.forEach(ProcessHandle::destroyForcibly);
    }

    private static List<ProcessHandle> qemuOf(Path runDir) {
        String dir = runDir.toAbsolutePath().toString();
        return ProcessHandle.allProcesses().filter(ph -> ph.info().commandLine().orElse("").contains(dir)).toList();
    }
}
