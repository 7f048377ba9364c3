package net.vnsnap.am.server;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import net.vnsnap.am.api.v2.AmV2Endpoint;
import net.vnsnap.am.api.v3.AmV3Endpoint;
import net.vnsnap.am.auth.CallAuthorizer;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.core.AggregateManager;
import net.vnsnap.am.core.AmPolicy;
import net.vnsnap.am.core.HostRegistry;
import net.vnsnap.am.core.IdGenerator;
import net.vnsnap.am.plugin.AmPlugin;
import net.vnsnap.am.plugin.snapshot.SnapshotPlugin;
import net.vnsnap.am.slice.SliceStore;
import net.vnsnap.am.slice.sqlite.SqliteSliceStore;
import net.vnsnap.am.snapshot.CoordinatorSettings;
import net.vnsnap.am.snapshot.HostDirectory;
import net.vnsnap.am.snapshot.Resolution;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotException;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.rpc.RemoteHostAgent;
import net.vnsnap.rspec.validate.AggregateProfile;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** vnsnap-am: the aggregate manager daemon, serving AM API v3 at "/" and v2 at "/am/2.0" over mutual TLS until SIGTERM. */
public final class AmDaemon implements AutoCloseable {
    static {
        // The daemon's own logging setup under its own name, so am-plugin on a class path does not impose it on other
        // programs; an operator's -Dlog4j2.configurationFile wins. Must run before the first logger is created.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "vnsnap-am-log4j2.xml");
        }
    }

    private static final Logger LOG = LogManager.getLogger(AmDaemon.class);
    /** Printed on stdout once the daemon serves, so scripts and tests learn its URL. */
    public static final String READY = "vnsnap-am ready";
    /** Where the v2 endpoint is served, relative to the v3 URL. */
    public static final String V2_PATH = "/am/2.0";

    /** Makes the plugins the daemon hosts, once the core's collaborators exist. */
    @FunctionalInterface
    public interface PluginFactory {
        List<AmPlugin> plugins(PluginResources resources);
    }

    /**
     * What the daemon lends its plugins: the configuration, the snapshot coordinator and catalog, the clock, and a
     * scheduler with two threads or more that the daemon shuts down after closing the plugins.
     */
    public record PluginResources(AmConfig config, SnapshotCoordinator coordinator, SnapshotCatalog catalog, Clock clock,
            ScheduledExecutorService scheduler) {
    }

    /** Threads of the plugins' scheduler: a restore holds one for minutes, so the periodic tick needs another. */
    private static final int PLUGIN_THREADS = 2;

    private final AmConfig config;
    private final String amUrn;
    private final URI url;
    private final SecureXmlRpcServer server;
    private final SliceStore store;
    private final SqliteSnapshotCatalog catalog;
    private final SnapshotCoordinator coordinator;
    private final ScheduledExecutorService reaper;
    /** Runs the plugins' background work (snapshot completions, restores, periodic snapshots). */
    private final ScheduledExecutorService pluginScheduler;
    private final List<AmPlugin> plugins;
    private final ExecutorService hostCalls;
    private final AggregateManager am;
    /** close() runs from the shutdown hook and possibly from an explicit call; only the first does the work. */
    private final AtomicBoolean closed = new AtomicBoolean();

    private AmDaemon(AmConfig config, String amUrn, URI url, SecureXmlRpcServer server, SliceStore store, SqliteSnapshotCatalog catalog,
            SnapshotCoordinator coordinator, ScheduledExecutorService reaper, ScheduledExecutorService pluginScheduler,
            List<AmPlugin> plugins, ExecutorService hostCalls, AggregateManager am) {
        this.config = config;
        this.amUrn = amUrn;
        this.url = url;
        this.server = server;
        this.store = store;
        this.catalog = catalog;
        this.coordinator = coordinator;
        this.reaper = reaper;
        this.pluginScheduler = pluginScheduler;
        this.plugins = plugins;
        this.hostCalls = hostCalls;
        this.am = am;
    }

    /** The plugins {@code vnsnap-am} hosts: the slice snapshot plugin (vnsnap_snapshot, vnsnap_restore, vnsnap_delete_snapshot). */
    static List<AmPlugin> standardPlugins(PluginResources r) {
        List<AmPlugin> plugins = new ArrayList<>();
        plugins.add(new SnapshotPlugin(r.coordinator(), r.catalog(), r.clock(), r.scheduler()));
        return plugins;
    }

    /** Starts the daemon with the standard plugins. */
    public static AmDaemon start(AmConfig cfg) throws AmConfigException, IOException {
        return start(cfg, AmDaemon::standardPlugins);
    }

    /** Starts everything the configuration describes, hosting the factory's plugins; on failure nothing is left running. */
    public static AmDaemon start(AmConfig cfg, PluginFactory pluginFactory) throws AmConfigException, IOException {
        Clock clock = Clock.systemUTC();
        Identity id;
        try {
            id = new Identity(GeniCertificate.readPrivateKey(cfg.identityKey()), GeniCertificate.readChain(cfg.identityCert()));
        } catch (CertificateReadException | RuntimeException e) {
            throw new AmConfigException("identity.cert/identity.key: " + e.getMessage());
        }
        String urn = cfg.amUrn() != null ? cfg.amUrn()
                : GeniCertificate.of(id.certificate()).urn().map(Object::toString).orElseThrow(() -> new AmConfigException(
                        "identity.cert " + cfg.identityCert() + " has no GENI URN in its subjectAltName; set am.urn"));
        TrustRoots clientRoots = roots("trust.roots", cfg.trustRoots(), clock);
        TrustRoots hostRoots = cfg.hostTrustRoots().equals(cfg.trustRoots()) ? clientRoots
                : roots("hosts.trust.roots", cfg.hostTrustRoots(), clock);
        SSLContext serverTls;
        SSLContext hostTls;
        try {
            serverTls = TlsContexts.create(id, new ChainValidator(clientRoots, clock, true));
            hostTls = TlsContexts.create(id, new ChainValidator(hostRoots, clock, true));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new AmConfigException("cannot build TLS contexts from identity.cert/identity.key: " + e.getMessage());
        }
        AmPolicy policy;
        try {
            policy = new AmPolicy(urn, cfg.allocationLease(), cfg.maxLease(), cfg.memoryMiB(), cfg.vcpus(), cfg.defaultImage(),
                    cfg.colourPolicy(), cfg.firstVni(), AggregateProfile.defaults());
        } catch (IllegalArgumentException e) {
            throw new AmConfigException("am.urn: " + e.getMessage());
        }
        Map<String, HostAgent> agents = new LinkedHashMap<>();
        for (Map.Entry<String, URI> h : cfg.hosts().entrySet()) {
            agents.put(h.getKey(), new RemoteHostAgent(h.getValue(), hostTls, cfg.hostCallTimeout(), cfg.hostLongTimeout()));
        }
        Files.createDirectories(cfg.stateDirectory());

        SliceStore store = null;
        SqliteSnapshotCatalog catalog = null;
        SnapshotCoordinator coordinator = null;
        ExecutorService hostCalls = null;
        ScheduledExecutorService reaper = null;
        ScheduledExecutorService pluginScheduler = null;
        List<AmPlugin> plugins = List.of();
        SecureXmlRpcServer server = null;
        try {
            store = SqliteSliceStore.open(cfg.sliceDatabase());
            catalog = SqliteSnapshotCatalog.open(cfg.catalogDatabase());
            hostCalls = Executors.newCachedThreadPool(daemonThreads("am-host-call"));
            coordinator = new SnapshotCoordinator(clock, hostCalls, HostDirectory.of(agents), catalog,
                    () -> "snap-" + UUID.randomUUID(), CoordinatorSettings.defaults());
            for (Resolution r : coordinator.resolveAfterRestart()) {
                LOG.info("snapshot {} left {} by the previous run is now {} ({})", r.snapshotId(), r.found(), r.outcome(), r.reason());
            }
            server = new SecureXmlRpcServer(new InetSocketAddress(cfg.listenAddress(), cfg.listenPort()), serverTls,
                    new SecureXmlRpcServer.Limits(cfg.maxBodyBytes(), cfg.rpcThreads(), Math.max(64, 4 * cfg.rpcThreads())));
            URI url = cfg.publicUrl() != null ? cfg.publicUrl()
                    : URI.create("https://" + hostForUrl(cfg.listenAddress()) + ":" + server.port() + "/");
            CallAuthorizer authorizer = new CallAuthorizer(new CredentialVerifier(clientRoots, clock),
                    new SpeaksForVerifier(clientRoots, clock));
            pluginScheduler = Executors.newScheduledThreadPool(PLUGIN_THREADS, daemonThreads("am-plugin"));
            plugins = pluginFactory.plugins(new PluginResources(cfg, coordinator, catalog, clock, pluginScheduler));
            AggregateManager am = new AggregateManager(clock, authorizer, store, HostRegistry.of(agents), policy, plugins, IdGenerator.random(), url.toString(), url.resolve(V2_PATH).toString(),
                    cfg.hostInfoMaxAge(), hostCalls);
            reaper = Executors.newSingleThreadScheduledExecutor(daemonThreads("am-reaper"));
            am.scheduleReaper(reaper, cfg.reaperPeriod());
            server.serve("/", new AmV3Endpoint(am)).serve(V2_PATH, new AmV2Endpoint(am)).start();
            LOG.info("vnsnap-am {} serving {} (v2 at {}), hosts {}, state {}", urn, url, V2_PATH, cfg.hosts(), cfg.stateDirectory());
            return new AmDaemon(cfg, urn, url, server, store, catalog, coordinator, reaper, pluginScheduler, plugins, hostCalls, am);
        } catch (SliceStore.StoreFailure | SnapshotException | CatalogException | IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            if (reaper != null) {
                reaper.shutdownNow();
            }
            closePlugins(plugins);
            if (pluginScheduler != null) {
                pluginScheduler.shutdownNow();
            }
            if (coordinator != null) {
                coordinator.close();
            }
            if (hostCalls != null) {
                hostCalls.shutdownNow();
            }
            closeQuietly(catalog);
            if (store != null) {
                store.close();
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot start: " + e.getMessage(), e);
        }
    }

    private static TrustRoots roots(String key, Path dir, Clock clock) throws AmConfigException {
        try {
            return TrustRoots.fromDirectory(dir, clock);
        } catch (IOException | RuntimeException e) {
            throw new AmConfigException(key + " " + dir + ": " + e.getMessage());
        }
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void closePlugins(List<AmPlugin> plugins) {
        for (AmPlugin p : plugins) {
            if (p instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing plugin {}: {}", p.name(), e.getMessage());
                }
            }
        }
    }

    private static void closeQuietly(SqliteSnapshotCatalog catalog) {
        if (catalog != null) {
            try {
                catalog.close();
            } catch (CatalogException e) {
                LOG.warn("closing the snapshot catalog: {}", e.getMessage());
            }
        }
    }

    /** The v3 URL (the v2 one is {@code url().resolve("/am/2.0")}). */
    public URI url() {
        return url;
    }

    public String amUrn() {
        return amUrn;
    }

    public AggregateManager aggregateManager() {
        return am;
    }

    /** The coordinator of slice snapshots over this AM's hosts, for the snapshot plugin. */
    public SnapshotCoordinator snapshotCoordinator() {
        return coordinator;
    }

    /** Stops serving, then the reaper, the coordinator (running snapshots are settled on the next start) and the stores. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("vnsnap-am {} stopping", amUrn);
        server.close();
        reaper.shutdownNow();
        closePlugins(plugins);
        pluginScheduler.shutdownNow();
        coordinator.close();
        hostCalls.shutdownNow();
        closeQuietly(catalog);
        store.close();
        LOG.info("vnsnap-am {} stopped", amUrn);
    }

    private static void usage(PrintStream out) {
        out.println("usage: vnsnap-am --config FILE");
        out.println();
        out.println("Runs the vnsnap GENI aggregate manager: AM API v3 at / and v2 at /am/2.0 over XML-RPC with");
        out.println("mutual TLS, placing slices' VMs on the configured vnsnap-hostd agents.");
        out.println("Configuration keys: docs/operator-am.md. Stop with SIGTERM (VMs keep running; a restart on the");
        out.println("same state.dir serves the same slices). Logging: -Dvnsnap.am.log=FILE adds a log file,");
        out.println("-Dvnsnap.am.level=debug more detail (set through VNSNAP_JAVA_OPTS).");
    }

    public static void main(String[] args) {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    usage(System.out);
                    return;
                }
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        fail("--config needs a file");
                    }
                    config = Path.of(args[++i]);
                }
                default -> fail("unknown argument '" + args[i] + "' (see --help)");
            }
        }
        if (config == null) {
            fail("--config FILE is required (see --help)");
        }
        AmDaemon d;
        try {
            d = start(AmConfig.load(config));
        } catch (AmConfigException e) {
            fail(e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            LOG.error("vnsnap-am cannot start", e);
            fail("cannot start: " + e.getMessage());
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            d.close();
            stopped.countDown();
            LogManager.shutdown();
        }, "am-shutdown"));
        System.out.println(READY + " url=" + d.url() + " urn=" + d.amUrn());
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostForUrl(String listen) {
        return listen.equals("0.0.0.0") || listen.equals("::") ? "localhost" : listen;
    }

    private static void fail(String message) {
        System.err.println("vnsnap-am: error: " + message);
        System.exit(2);
    }
}
