package net.vnsnap.am.server;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.vswitch.ColourPolicy;

/**
 * The AM daemon's configuration, read from a properties file whose keys and defaults docs/operator-am.md lists
 * (relative paths are resolved against the file's directory).
 *
 * @param listenAddress   {@code listen.address}
 * @param listenPort      {@code listen.port} (0 = any free port)
 * @param amUrn           {@code am.urn}, or null to take the URN of the identity certificate
 * @param identityCert    {@code identity.cert}: TLS server identity toward experimenters, client identity toward hosts
 * @param identityKey     {@code identity.key}
 * @param trustRoots      {@code trust.roots}: roots for experimenters' certificates and their credentials
 * @param hostTrustRoots  {@code hosts.trust.roots}: roots the host agents' server certificates must chain to
 * @param publicUrl       {@code public.url}, or null to derive it from the listen address and the actual port
 * @param stateDirectory  {@code state.dir}: the slice store and the snapshot catalog (SQLite)
 * @param hosts           {@code host.<id>.url}, ordered by host id
 * @param hostCallTimeout {@code hosts.call.timeout.s}
 * @param hostLongTimeout {@code hosts.long.timeout.s}: creating VMs, taking and restoring snapshots
 * @param defaultImage    {@code image.default}
 * @param memoryMiB       {@code vm.memory.mib}
 * @param vcpus           {@code vm.vcpus}
 * @param allocationLease {@code lease.allocation.s}
 * @param maxLease        {@code lease.max.s}
 * @param colourPolicy    {@code colour.policy}
 * @param firstVni        {@code vni.first}
 * @param reaperPeriod    {@code reaper.period.s}
 * @param rpcThreads      {@code rpc.threads}
 * @param maxBodyBytes    {@code rpc.max.body.bytes}
 * @param hostInfoMaxAge  {@code hosts.info.max.age.s}: how old the host info in an advertisement may be (0: ask on every call)
 */
public record AmConfig(String listenAddress, int listenPort, String amUrn, Path identityCert, Path identityKey, Path trustRoots,
        Path hostTrustRoots, URI publicUrl, Path stateDirectory, Map<String, URI> hosts, Duration hostCallTimeout,
        Duration hostLongTimeout, String defaultImage, int memoryMiB, int vcpus, Duration allocationLease, Duration maxLease,
        ColourPolicy colourPolicy, int firstVni, Duration reaperPeriod, int rpcThreads, long maxBodyBytes,
        Duration hostInfoMaxAge) {

    /** Every fixed key this class reads; host.<id>.url is matched by {@link #HOST_KEY}; anything else is an error. */
    private static final Set<String> KEYS = Set.of("listen.address", "listen.port", "am.urn", "identity.cert", "identity.key",
            "trust.roots", "hosts.trust.roots", "public.url", "state.dir", "hosts.call.timeout.s", "hosts.long.timeout.s",
            "image.default", "vm.memory.mib", "vm.vcpus", "lease.allocation.s", "lease.max.s", "colour.policy", "vni.first",
            "reaper.period.s", "rpc.threads", "rpc.max.body.bytes", "hosts.info.max.age.s");
    private static final Pattern HOST_KEY = Pattern.compile("host\\.([A-Za-z0-9][A-Za-z0-9._-]{0,62})\\.url");

    public AmConfig {
        hosts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
    }

    /** The SQLite file of slices. */
    public Path sliceDatabase() {
        return stateDirectory.resolve("slices.db");
    }

    /** The SQLite file of the snapshot catalog. */
    public Path catalogDatabase() {
        return stateDirectory.resolve("snapshots.db");
    }

    /** Reads and checks a configuration file. */
    public static AmConfig load(Path file) throws AmConfigException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw new AmConfigException("cannot read configuration " + file + ": no such file");
        } catch (IOException | IllegalArgumentException e) {
            throw new AmConfigException("cannot read configuration " + file + ": " + e.getMessage());
        }
        return parse(p, file.toAbsolutePath().getParent(), file.toString());
    }

    /** Checks a configuration given as properties; {@code base} resolves relative paths; {@code where} names the source. */
    public static AmConfig parse(Properties p, Path base, String where) throws AmConfigException {
        List<String> unknown = new ArrayList<>();
        Map<String, URI> hosts = new LinkedHashMap<>();
        for (String k : new TreeSet<>(p.stringPropertyNames())) {
            Matcher m = HOST_KEY.matcher(k);
            if (m.matches()) {
                hosts.put(m.group(1), hostUrl(p.getProperty(k).strip(), k, where));
            } else if (!KEYS.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new AmConfigException(where + ": unknown key(s) " + unknown + " (see docs/operator-am.md)");
        }
        if (hosts.isEmpty()) {
            throw new AmConfigException(where + ": no host configured (add host.<id>.url=https://HOST:PORT/)");
        }
        Keys r = new Keys(p, base, where);
        String urn = r.get("am.urn", null);
        if (urn != null && !urn.startsWith("urn:publicid:IDN+")) {
            throw new AmConfigException(where + ": am.urn '" + urn + "' is not a GENI URN (urn:publicid:IDN+...+authority+am)");
        }
        URI publicUrl = null;
        String pub = r.get("public.url", null);
        if (pub != null) {
            publicUrl = URI.create(pub.endsWith("/") ? pub : pub + "/");
            if (!"https".equals(publicUrl.getScheme()) || publicUrl.getHost() == null) {
                throw new AmConfigException(where + ": public.url must be an https:// URL, got '" + pub + "'");
            }
        }
        String colour = r.get("colour.policy", "hold_and_record");
        ColourPolicy cp;
        try {
            cp = ColourPolicy.valueOf(colour.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new AmConfigException(where + ": colour.policy must be hold_and_record, drop or none, got '" + colour + "'");
        }
        Path trust = r.requiredPath("trust.roots");
        long maxLease = r.number("lease.max.s", 7 * 86_400, 60, 366L * 86_400);
        long alloc = r.number("lease.allocation.s", 600, 10, maxLease);
        return new AmConfig(r.get("listen.address", "0.0.0.0"), (int) r.number("listen.port", 8001, 0, 65535), urn,
                r.requiredPath("identity.cert"), r.requiredPath("identity.key"), trust,
                r.get("hosts.trust.roots", null) == null ? trust : r.requiredPath("hosts.trust.roots"), publicUrl,
                r.resolve(r.get("state.dir", "/var/lib/vnsnap-am")), hosts,
                Duration.ofSeconds(r.number("hosts.call.timeout.s", 60, 1, 3600)),
                Duration.ofSeconds(r.number("hosts.long.timeout.s", 600, 1, 86_400)), r.get("image.default", "guest"),
                (int) r.number("vm.memory.mib", 128, 16, 1 << 20), (int) r.number("vm.vcpus", 1, 1, 256),
                Duration.ofSeconds(alloc), Duration.ofSeconds(maxLease), cp, (int) r.number("vni.first", 4096, 1, 0xFFFFFF),
                Duration.ofSeconds(r.number("reaper.period.s", 60, 1, 86_400)), (int) r.number("rpc.threads", 16, 1, 256),
                r.number("rpc.max.body.bytes", 8L << 20, 4096, 1L << 30),
                Duration.ofSeconds(r.number("hosts.info.max.age.s", 5, 0, 3600)));
    }

    private static URI hostUrl(String v, String key, String where) throws AmConfigException {
        try {
            URI u = new URI(v);
            if (!"https".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1) {
                throw new AmConfigException(where + ": " + key + " must be https://HOST:PORT/, got '" + v + "'");
            }
            return u.getPath() == null || u.getPath().isEmpty() ? u.resolve("/") : u;
        } catch (java.net.URISyntaxException e) {
            throw new AmConfigException(where + ": " + key + " is not a URL: " + e.getMessage());
        }
    }

    /** Reads typed values with messages that name the key and the file. */
    private static final class Keys {
        private final Properties p;
        private final Path base;
        private final String where;

        Keys(Properties p, Path base, String where) {
            this.p = p;
            this.base = base;
            this.where = where;
        }

        String get(String key, String dflt) {
            String v = p.getProperty(key);
            return v == null || v.isBlank() ? dflt : v.strip();
        }

        Path resolve(String s) {
            Path x = Path.of(s);
            return x.isAbsolute() || base == null ? x : base.resolve(x);
        }

        Path requiredPath(String key) throws AmConfigException {
            String v = get(key, null);
            if (v == null) {
                throw new AmConfigException(where + ": required key '" + key + "' is missing (see docs/operator-am.md)");
            }
            return resolve(v);
        }

        long number(String key, long dflt, long min, long max) throws AmConfigException {
            String v = get(key, null);
            if (v == null) {
                return dflt;
            }
            try {
                long i = Long.parseLong(v);
                if (i < min || i > max) {
                    throw new AmConfigException(where + ": " + key + " must be between " + min + " and " + max + ", got " + i);
                }
                return i;
            } catch (NumberFormatException e) {
                throw new AmConfigException(where + ": " + key + " must be an integer, got '" + v + "'");
            }
        }
    }
}
