package net.vnsnap.host;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.rpc.SecureXmlRpcServer;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.trust.ChainValidator;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.agent.AgentSettings;
import net.vnsnap.host.agent.LocalHostAgent;
import net.vnsnap.host.agent.Timing;
import net.vnsnap.host.config.ConfigException;
import net.vnsnap.host.config.HostConfig;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.qemu.QemuConfig;
import net.vnsnap.host.driver.qemu.QemuDriver;
import net.vnsnap.host.driver.xen.GuestType;
import net.vnsnap.host.driver.xen.XenConfig;
import net.vnsnap.host.driver.xen.XenDriver;
import net.vnsnap.host.rpc.HostAgentEndpoint;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** vnsnap-hostd: the host agent daemon, serving its HostAgent over XML-RPC with mutual TLS until SIGTERM. */
public final class HostDaemon implements AutoCloseable {
    static {
        // The daemon's own logging setup, named so it does not become the default of every program with xen-host on its
        // class path; an operator's -Dlog4j2.configurationFile wins. Must run before the first logger is created.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "vnsnap-hostd-log4j2.xml");
        }
    }

    private static final Logger LOG = LogManager.getLogger(HostDaemon.class);
    /** Printed on stdout once the daemon serves, so scripts and tests know its ports. */
    public static final String READY = "vnsnap-hostd ready";

    private final HostConfig config;
    private final VirtualSwitch vswitch;
    private final HypervisorDriver driver;
    private final ExecutorService workers;
    private final LocalHostAgent agent;
    private final SecureXmlRpcServer server;
    private final String tunnelEndpoint;
    /** Makes close() idempotent: the shutdown hook and an explicit close may both run. */
    private final AtomicBoolean closed = new AtomicBoolean();

    private HostDaemon(HostConfig config, VirtualSwitch vswitch, HypervisorDriver driver, ExecutorService workers, LocalHostAgent agent,
            SecureXmlRpcServer server, String tunnelEndpoint) {
        this.config = config;
        this.vswitch = vswitch;
        this.driver = driver;
        this.workers = workers;
        this.agent = agent;
        this.server = server;
        this.tunnelEndpoint = tunnelEndpoint;
    }

    /** Starts everything the configuration describes; on failure nothing is left running. */
    public static HostDaemon start(HostConfig cfg) throws ConfigException, IOException {
        SSLContext tls = tls(cfg);
        Set<GeniUrn> allowed = new HashSet<>();
        for (String u : cfg.allowedCallers()) {
            try {
                allowed.add(GeniUrn.parse(u));
            } catch (InvalidUrnException e) {
                throw new ConfigException("allowed.callers: '" + u + "' is not a valid GENI URN: " + e.getMessage());
            }
        }
        VirtualSwitch sw = VirtualSwitch.start(cfg.hostId(),
                SwitchConfig.defaults().withTunnelBind(new InetSocketAddress(cfg.tunnelBindHost(), cfg.tunnelBindPort())));
        HypervisorDriver driver = null;
        ExecutorService workers = null;
        try {
            String tunnel = cfg.tunnelAdvertise() != null ? cfg.tunnelAdvertise() : advertised(cfg.tunnelBindHost(), sw.tunnelAddress().getPort());
            driver = driver(cfg);
            AtomicInteger n = new AtomicInteger();
            workers = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "hostd-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            AgentSettings settings = new AgentSettings(cfg.hostId(), tunnel, cfg.images(), cfg.maxVms(), cfg.vmHost(), cfg.vmPortFirst(),
                    cfg.vmPortLast(), cfg.runDirectory().resolve("disks"), cfg.qemuImg(), cfg.commitGrace(), cfg.snapshotTimeout(), null,
                    cfg.sshAddress(), cfg.sshBind(), cfg.sshPortFirst(), cfg.sshPortLast());
            LocalHostAgent agent = LocalHostAgent.open(settings, driver, sw, cfg.storeDirectory(), Timing.system(), workers, null);
            SecureXmlRpcServer server = new SecureXmlRpcServer(new InetSocketAddress(cfg.listenAddress(), cfg.listenPort()), tls,
                    new SecureXmlRpcServer.Limits(8L << 20, cfg.rpcThreads(), 64));
            server.serve("/", new HostAgentEndpoint(agent, allowed)).start();
            LOG.info("vnsnap-hostd {} serving on {}:{}, tunnel endpoint {}, store {}, allowed callers {}", cfg.hostId(),
                    cfg.listenAddress(), server.port(), tunnel, cfg.storeDirectory(), cfg.allowedCallers());
            return new HostDaemon(cfg, sw, driver, workers, agent, server, tunnel);
        } catch (IOException | ConfigException | RuntimeException e) {
            if (driver != null) {
                driver.close();
            }
            if (workers != null) {
                workers.shutdownNow();
            }
            sw.close();
            throw e;
        }
    }

    /** The driver the {@code hypervisor} key names. */
    private static HypervisorDriver driver(HostConfig cfg) throws ConfigException {
        if ("xen".equals(cfg.hypervisor())) {
            HostConfig.Xen x = cfg.xen();
            try {
                return XenDriver.open(new XenConfig(GuestType.parse(x.type()), cfg.runDirectory().resolve("xen"), x.consoleDir(),
                        x.logLevel(), null, null));
            } catch (DriverException e) {
                throw new ConfigException("hypervisor=xen: " + e.getMessage());
            }
        }
        return new QemuDriver(new QemuConfig(cfg.qemuBinary(), cfg.qemuImg(), cfg.qemuAccelerator(), cfg.qemuMachine(),
                cfg.runDirectory(), null, null));
    }

    private static String advertised(String bindHost, int port) throws IOException {
        InetAddress a = InetAddress.getByName(bindHost);
        if (!a.isAnyLocalAddress()) {
            return bindHost + ":" + port;
        }
        String name = InetAddress.getLocalHost().getCanonicalHostName();
        LOG.warn("tunnel.bind.host is a wildcard address; advertising {}:{} (set tunnel.advertise to choose)", name, port);
        return name + ":" + port;
    }

    private static SSLContext tls(HostConfig cfg) throws ConfigException {
        try {
            Identity id = new Identity(GeniCertificate.readPrivateKey(cfg.identityKey()), GeniCertificate.readChain(cfg.identityCert()));
            Clock clock = Clock.systemUTC();
            ChainValidator v = new ChainValidator(TrustRoots.fromDirectory(cfg.trustRoots(), clock), clock, true);
            return TlsContexts.create(id, v);
        } catch (CertificateReadException e) {
            throw new ConfigException("identity.cert/identity.key: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigException("trust.roots " + cfg.trustRoots() + ": " + e.getMessage());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new ConfigException("cannot build the TLS context from identity.cert/identity.key: " + e.getMessage());
        }
    }

    public int rpcPort() {
        return server.port();
    }

    public String tunnelEndpoint() {
        return tunnelEndpoint;
    }

    public LocalHostAgent agent() {
        return agent;
    }

    /** Stops serving, then destroys or leaves the VMs as the shutdown policy says. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("vnsnap-hostd {} stopping (VMs: {})", config.hostId(), config.shutdownPolicy().name().toLowerCase(java.util.Locale.ROOT));
        server.close();
        if (config.shutdownPolicy() == HostConfig.ShutdownPolicy.DESTROY) {
            agent.destroyAll();
            driver.close();
        }
        agent.close();
        workers.shutdownNow();
        vswitch.close();
        LOG.info("vnsnap-hostd {} stopped", config.hostId());
    }

    private static void usage(PrintStream out) {
        out.println("usage: vnsnap-hostd --config FILE");
        out.println();
        out.println("Runs the vnsnap host agent: VMs (QEMU), the virtual switch with its tunnels, and the");
        out.println("two-phase slice snapshots, served over XML-RPC with mutual TLS to the allowed AMs.");
        out.println("Configuration keys: docs/operator-hostd.md. Stop with SIGTERM (VMs are destroyed");
        out.println("unless shutdown.vms=leave). Logging: -Dvnsnap.hostd.log=FILE adds a log file,");
        out.println("-Dvnsnap.hostd.level=debug more detail (set through VNSNAP_JAVA_OPTS).");
    }

    public static void main(String[] args) {
        Path config = null;
        List<String> a = List.of(args);
        for (int i = 0; i < a.size(); i++) {
            switch (a.get(i)) {
                case "-h", "--help" -> {
                    usage(System.out);
                    return;
                }
                case "--config" -> {
                    if (i + 1 >= a.size()) {
                        fail("--config needs a file");
                    }
                    config = Path.of(a.get(++i));
                }
                default -> fail("unknown argument '" + a.get(i) + "' (see --help)");
            }
        }
        if (config == null) {
            fail("--config FILE is required (see --help)");
        }
        HostDaemon d;
        try {
            d = start(HostConfig.load(config));
        } catch (ConfigException e) {
            fail(e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            LOG.error("vnsnap-hostd cannot start", e);
            fail("cannot start: " + e.getMessage());
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            d.close();
            stopped.countDown();
            LogManager.shutdown();
        }, "hostd-shutdown"));
        System.out.println(READY + " host=" + d.config.hostId() + " rpc=" + URI.create("https://" + hostForUrl(d.config.listenAddress())
                + ":" + d.rpcPort() + "/") + " tunnel=" + d.tunnelEndpoint());
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
        System.err.println("vnsnap-hostd: error: " + message);
        System.exit(2);
    }
}
