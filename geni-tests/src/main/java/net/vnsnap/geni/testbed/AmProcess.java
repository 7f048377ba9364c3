package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.vnsnap.am.server.AmDaemon;

/** A vnsnap-am daemon run as its own process on this machine, configured from a few settings and ready once it says so. */
public final class AmProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile(Pattern.quote(AmDaemon.READY) + " url=(\\S+) urn=(\\S+)");

    /**
     * How to run one AM.
     *
     * @param workDir         where its configuration, log and state directory ({@code state/}) go
     * @param identity        directory with its {@code cert.pem} and {@code key.pem}
     * @param trustRoots      roots for experimenters and their credentials
     * @param hostTrustRoots  roots the hosts' server certificates chain to
     * @param hosts           host id to hostd URL
     * @param extra           further configuration keys (see docs/operator-am.md)
     */
    public record Settings(Path workDir, Path identity, Path trustRoots, Path hostTrustRoots, Map<String, URI> hosts,
            Map<String, String> extra) {
        public Settings {
            hosts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
            extra = extra == null ? Map.of() : Map.copyOf(extra);
        }
    }

    private final Settings settings;
    private final Process process;
    private final URI url;
    private final String urn;
    private final Path log;

    private AmProcess(Settings settings, Process process, URI url, String urn, Path log) {
        this.settings = settings;
        this.process = process;
        this.url = url;
        this.urn = urn;
        this.log = log;
    }

    /** Writes the configuration, starts the daemon and waits (up to {@code readyTimeoutSeconds}) for its ready line. */
    public static AmProcess start(Settings s, long readyTimeoutSeconds) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(s.workDir());
        Path cfg = dir.resolve("am.properties");
        List<String> lines = new ArrayList<>(List.of(
                "listen.address=127.0.0.1",
                "listen.port=0",
                "identity.cert=" + s.identity().resolve("cert.pem"),
                "identity.key=" + s.identity().resolve("key.pem"),
                "trust.roots=" + s.trustRoots(),
                "hosts.trust.roots=" + s.hostTrustRoots(),
                "state.dir=" + dir.resolve("state"),
                "image.default=guest",
                // Suites run many clients at once (50 in the concurrency test): one worker each.
                "rpc.threads=64"));
        s.hosts().forEach((id, u) -> lines.add("host." + id + ".url=" + u));
        s.extra().forEach((k, v) -> lines.add(k + "=" + v));
        Files.writeString(cfg, String.join("\n", lines) + "\n");
        Path log = dir.resolve("am.log");
        Files.writeString(log, "---- start\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        DaemonLauncher.Started d = DaemonLauncher.start("vnsnap-am", AmDaemon.class.getName(), cfg, log, "192m", READY,
                readyTimeoutSeconds);
        return new AmProcess(s, d.process(), URI.create(d.ready().group(1)), d.ready().group(2), log);
    }

    /** A new daemon on the same settings and state directory (after {@link #kill} or {@link #close}). */
    public AmProcess restart(long readyTimeoutSeconds) throws IOException, InterruptedException {
        return start(settings, readyTimeoutSeconds);
    }

    /** The v3 URL. */
    public URI url() {
        return url;
    }

    /** The v2 URL. */
    public URI v2Url() {
        return url.resolve(AmDaemon.V2_PATH);
    }

    public String urn() {
        return urn;
    }

    public Path log() {
        return log;
    }

    public Path stateDirectory() {
        return settings.workDir().resolve("state");
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the daemon at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Stops the daemon (SIGTERM) and returns its exit status, or kills it after a minute. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** The exit status once stopped. */
    public int exitValue() {
        return process.exitValue();
    }
}
