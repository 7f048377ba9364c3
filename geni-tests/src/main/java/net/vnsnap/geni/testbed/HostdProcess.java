package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.vnsnap.host.HostDaemon;

/**
 * A vnsnap-hostd daemon run as its own process on this machine, as the testbed, suites and demo use it:
 * its configuration is written from a few settings, and it is ready once it prints its ready line.
 */
public final class HostdProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile(Pattern.quote(HostDaemon.READY) + " host=(\\S+) rpc=(\\S+) tunnel=(\\S+)");

    /**
     * How to run one daemon.
     *
     * @param hostId     the host's id (and the name of its identity in the federation's {@code am/} directory)
     * @param workDir    where its configuration, store, run files and log go
     * @param identity   directory with its {@code cert.pem} and {@code key.pem}
     * @param trustRoots the trust-root directory
     * @param amUrn      the only caller allowed (the AM's URN)
     * @param guestImage directory with the test guest's vmlinux and initramfs.cpio.gz (image name "guest")
     * @param vmPortBase first of ten UDP ports for VM NICs; the same ten numbers, as TCP ports, forward SSH
     * @param maxVms     how many VMs it may run
     * @param extra      further configuration keys (see docs/operator-hostd.md)
     */
    public record Settings(String hostId, Path workDir, Path identity, Path trustRoots, String amUrn, Path guestImage,
            int vmPortBase, int maxVms, Map<String, String> extra) {
        public Settings {
            extra = extra == null ? Map.of() : Map.copyOf(extra);
        }
    }

    private final Process process;
    private final URI rpc;
    private final String tunnel;
    private final Path log;
    private final String hostId;

    private HostdProcess(String hostId, Process process, URI rpc, String tunnel, Path log) {
        this.hostId = hostId;
        this.process = process;
        this.rpc = rpc;
        this.tunnel = tunnel;
        this.log = log;
    }

    /** Writes the configuration, starts the daemon and waits (up to {@code readyTimeoutSeconds}) for its ready line. */
    public static HostdProcess start(Settings s, long readyTimeoutSeconds) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(s.workDir());
        Path cfg = dir.resolve("hostd.properties");
        List<String> lines = new ArrayList<>(List.of(
                "host.id=" + s.hostId(),
                "listen.address=127.0.0.1",
                "listen.port=0",
                "identity.cert=" + s.identity().resolve("cert.pem"),
                "identity.key=" + s.identity().resolve("key.pem"),
                "trust.roots=" + s.trustRoots(),
                "allowed.callers=" + s.amUrn(),
                "store.dir=" + dir.resolve("store"),
                "run.dir=" + dir.resolve("run"),
                "tunnel.bind.host=127.0.0.1",
                "tunnel.bind.port=0",
                "image.guest.kernel=" + s.guestImage().resolve("vmlinux"),
                "image.guest.initrd=" + s.guestImage().resolve("initramfs.cpio.gz"),
                "vm.max=" + s.maxVms(),
                "vm.ports=" + s.vmPortBase() + "-" + (s.vmPortBase() + 9),
                // Every daemon gets its own SSH forward range, so daemons on one machine never race for a port.
                "ssh.ports=" + s.vmPortBase() + "-" + (s.vmPortBase() + 9)));
        s.extra().forEach((k, v) -> lines.add(k + "=" + v));
        Files.writeString(cfg, String.join("\n", lines) + "\n");
        Path log = dir.resolve("hostd.log");
        DaemonLauncher.Started d = DaemonLauncher.start("hostd " + s.hostId(), HostDaemon.class.getName(), cfg, log, "128m",
                READY, readyTimeoutSeconds);
        return new HostdProcess(s.hostId(), d.process(), URI.create(d.ready().group(2)), d.ready().group(3), log);
    }

    /** The classpath of this JVM (under Surefire, the test classpath), which holds hostd's classes. */
    static String classPath() {
        return DaemonLauncher.classPath();
    }

    public String hostId() {
        return hostId;
    }

    /** The daemon's XML-RPC URL. */
    public URI rpc() {
        return rpc;
    }

    /** {@code host:port} of its switch's tunnel endpoint. */
    public String tunnelEndpoint() {
        return tunnel;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the daemon at once (SIGKILL), as a crash would; its VMs' QEMU processes are orphaned and must be reaped. */
    public void kill() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        for (ProcessHandle c : children) {
            c.destroyForcibly();
        }
    }

    /** Stops the daemon cleanly (SIGTERM): it applies its shutdown policy to its VMs. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
