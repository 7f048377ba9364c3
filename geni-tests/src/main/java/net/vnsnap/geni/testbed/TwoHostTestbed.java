package net.vnsnap.geni.testbed;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.snapshot.CoordinatorSettings;
import net.vnsnap.am.snapshot.HostDirectory;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.rpc.RemoteHostAgent;

/**
 * Two vnsnap-hostd processes on this machine ("hostd1", "hostd2") with a fresh local federation, reached over mutual
 * TLS as the "am" identity, and snapshot coordinators built on them; closing it stops the daemons and reaps any QEMU left.
 */
public final class TwoHostTestbed implements AutoCloseable {

    public static final List<String> HOSTS = List.of("hostd1", "hostd2");

    /** Each testbed in this JVM gets its own block of VM ports, so classes that run one after another never collide. */
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Path dir;
    private final Map<String, HostdProcess> daemons = new LinkedHashMap<>();
    private final Map<String, HostAgent> agents = new LinkedHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final SSLContext amTls;

    private TwoHostTestbed(Path dir, SSLContext amTls) {
        this.dir = dir;
        this.amTls = amTls;
    }

    /**
     * Starts both daemons under {@code dir}.
     *
     * @param extra further hostd configuration per host id (e.g. {@code store.dir}), may be empty
     */
    public static TwoHostTestbed start(Path dir, Map<String, Map<String, String>> extra) throws Exception {
        Clock clock = Clock.systemUTC();
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//slicetest", Duration.ofDays(30), clock);
        for (String h : HOSTS) {
            fed.issueServer(h, List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        }
        Identity am = fed.issueServer("am", List.of("localhost"), Duration.ofDays(30));
        String amUrn = GeniCertificate.of(am.certificate()).urn().orElseThrow().toString();
        ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(fed.trustRootsDirectory(), clock), clock, true);
        TwoHostTestbed bed = new TwoHostTestbed(dir, TlsContexts.create(am, v));
        Path guest = Checkout.guestImage();
        int base = 43000 + (int) (ProcessHandle.current().pid() % 100) * 100 + (INSTANCES.getAndIncrement() % 5) * 20;
        try {
            int i = 0;
            for (String h : HOSTS) {
                HostdProcess.Settings s = new HostdProcess.Settings(h, dir.resolve(h), fed.serverDirectory(h),
                        fed.trustRootsDirectory(), amUrn, guest, base + 10 * i++, 2, extra.getOrDefault(h, Map.of()));
                HostdProcess p = HostdProcess.start(s, 120);
                bed.daemons.put(h, p);
                bed.agents.put(h, new RemoteHostAgent(p.rpc(), bed.amTls, Duration.ofSeconds(30), Duration.ofMinutes(5)));
            }
        } catch (Exception e) {
            bed.close();
            throw e;
        }
        return bed;
    }

    public HostAgent agent(String host) {
        return agents.get(host);
    }

    public HostdProcess daemon(String host) {
        return daemons.get(host);
    }

    public Path dir() {
        return dir;
    }

    /** A coordinator over both hosts with the given catalog and settings; closed with the testbed unless closed before. */
    public SnapshotCoordinator coordinator(SnapshotCatalog catalog, CoordinatorSettings settings) {
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "slicetest-hostcall");
            t.setDaemon(true);
            return t;
        });
        SnapshotCoordinator c = new SnapshotCoordinator(Clock.systemUTC(), pool, HostDirectory.of(agents), catalog,
                () -> "snap-" + UUID.randomUUID().toString().substring(0, 8), settings);
        closeables.add(c);
        closeables.add(pool::shutdownNow);
        return c;
    }

    /** Settings for tests: short call and take timeouts so a broken host fails a test in minutes, not half an hour. */
    public static CoordinatorSettings testSettings() {
        return CoordinatorSettings.defaults().withTimeouts(Duration.ofSeconds(60), Duration.ofMinutes(3))
                .withPollInterval(Duration.ofMillis(250));
    }

    /** Stops both daemons (SIGTERM; they destroy their VMs), then kills any QEMU still running from this testbed. */
    @Override
    public void close() throws InterruptedException {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // Best effort: the daemons below must still stop.
            }
        }
        for (HostdProcess p : daemons.values()) {
            p.close();
        }
        String mine = dir.toAbsolutePath().toString();
        ProcessHandle.allProcesses().filter(ph -> ph.info().commandLine().orElse("").contains(mine)
                && ph.info().command().orElse("").contains("qemu")).forEach(ProcessHandle::destroyForcibly);
    }
}
