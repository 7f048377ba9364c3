package net.vnsnap.host.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.agent.ImageSpec;

/**
 * The host agent's configuration, read from a properties file whose keys and defaults docs/operator-hostd.md lists
 * (relative paths are resolved against the file's directory).
 *
 * @param hostId           {@code host.id}
 * @param listenAddress    {@code listen.address}
 * @param listenPort       {@code listen.port} (0 = any free port)
 * @param identityCert     {@code identity.cert}
 * @param identityKey      {@code identity.key}
 * @param trustRoots       {@code trust.roots}
 * @param allowedCallers   {@code allowed.callers}: URNs of the AMs that may call
 * @param storeDirectory   {@code store.dir}
 * @param runDirectory     {@code run.dir}
 * @param tunnelBindHost   {@code tunnel.bind.host}
 * @param tunnelBindPort   {@code tunnel.bind.port} (0 = any free port)
 * @param tunnelAdvertise  {@code tunnel.advertise}: host:port other hosts send to, or null to derive it
 * @param hypervisor       {@code hypervisor}: "qemu" or "xen"
 * @param qemuBinary       {@code qemu.binary}
 * @param qemuImg          {@code qemu.img}
 * @param qemuAccelerator  {@code qemu.accel}
 * @param qemuMachine      {@code qemu.machine}
 * @param images           {@code image.<name>.kernel|initrd|cmdline|disk|boot|cloudinit}
 * @param maxVms           {@code vm.max}
 * @param vmHost           {@code vm.host}
 * @param vmPortFirst      first of {@code vm.ports}
 * @param vmPortLast       last of {@code vm.ports}
 * @param shutdownPolicy   {@code shutdown.vms}
 * @param commitGrace      {@code snapshot.commit.grace.ms}
 * @param snapshotTimeout  {@code snapshot.timeout.s}
 * @param rpcThreads       {@code rpc.threads}
 * @param sshAddress       {@code ssh.address}: where experimenters reach guests' SSH forwards
 * @param sshBind          {@code ssh.bind}: the address the forwards listen on
 * @param sshPortFirst     first of {@code ssh.ports}
 * @param sshPortLast      last of {@code ssh.ports}
 * @param xen              {@code xen.*}, used with {@code hypervisor=xen}
 */
public record HostConfig(String hostId, String listenAddress, int listenPort, Path identityCert, Path identityKey, Path trustRoots,
        Set<String> allowedCallers, Path storeDirectory, Path runDirectory, String tunnelBindHost, int tunnelBindPort,
        String tunnelAdvertise, String hypervisor, Path qemuBinary, Path qemuImg, String qemuAccelerator, String qemuMachine,
        Map<String, ImageSpec> images, int maxVms, String vmHost, int vmPortFirst, int vmPortLast, ShutdownPolicy shutdownPolicy,
        Duration commitGrace, Duration snapshotTimeout, int rpcThreads, String sshAddress, String sshBind, int sshPortFirst,
        int sshPortLast, Xen xen) {

    /**
     * The base kernel command line of a kernel-booted image. {@code no_timer_check} skips the kernel's IO-APIC
     * timer check, which fails ("IO-APIC + timer doesn't work") when an emulated (TCG) guest boots on a busy host.
     */
    public static final String DEFAULT_CMDLINE = "console=ttyS0 quiet panic=-1 no_timer_check";

    /** The base kernel command line of an image on a Xen host: domUs have their console on hvc0. */
    public static final String DEFAULT_XEN_CMDLINE = "console=hvc0 quiet panic=-1";

    /**
     * The Xen driver's settings.
     *
     * @param type       {@code xen.type}: pvh, pv or auto
     * @param consoleDir {@code xen.console.dir}: where xenconsoled logs guest consoles ({@code guest-<name>.log})
     * @param logLevel   {@code xen.log.level}: libxl's log level on stderr
     */
    public record Xen(String type, Path consoleDir, String logLevel) {
        /** PVH guests, Debian's console log directory, info logging. */
        public static Xen defaults() {
            return new Xen("pvh", Path.of("/var/log/xen/console"), "info");
        }
    }

    /** What the daemon does with its VMs when it stops. */
    public enum ShutdownPolicy {
        /** Destroy every VM (the default): nothing outlives the agent that tracks it. */
        DESTROY,
        /** Leave QEMU processes running (their network stops with the switch); for agent upgrades. */
        LEAVE
    }

    /** Every key this class reads; anything else (except image.*) is reported as unknown. */
    private static final Set<String> KEYS = Set.of("host.id", "listen.address", "listen.port", "identity.cert", "identity.key",
            "trust.roots", "allowed.callers", "store.dir", "run.dir", "tunnel.bind.host", "tunnel.bind.port", "tunnel.advertise",
            "hypervisor", "qemu.binary", "qemu.img", "qemu.accel", "qemu.machine", "vm.max", "vm.host", "vm.ports", "shutdown.vms",
            "snapshot.commit.grace.ms", "snapshot.timeout.s", "rpc.threads", "ssh.address", "ssh.bind", "ssh.ports", "xen.type",
            "xen.console.dir", "xen.log.level");
    private static final Pattern IMAGE_KEY = Pattern.compile("image\\.([A-Za-z0-9][A-Za-z0-9_-]*)\\.(kernel|initrd|cmdline|disk|boot|cloudinit)");
    private static final Pattern HOST_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public HostConfig {
        allowedCallers = Set.copyOf(allowedCallers);
        images = Map.copyOf(images);
    }

    /** A configuration with the SSH defaults: forwards on 127.0.0.1, ports 22000-22999. */
    public HostConfig(String hostId, String listenAddress, int listenPort, Path identityCert, Path identityKey, Path trustRoots,
            Set<String> allowedCallers, Path storeDirectory, Path runDirectory, String tunnelBindHost, int tunnelBindPort,
            String tunnelAdvertise, String hypervisor, Path qemuBinary, Path qemuImg, String qemuAccelerator, String qemuMachine,
            Map<String, ImageSpec> images, int maxVms, String vmHost, int vmPortFirst, int vmPortLast, ShutdownPolicy shutdownPolicy,
            Duration commitGrace, Duration snapshotTimeout, int rpcThreads) {
        this(hostId, listenAddress, listenPort, identityCert, identityKey, trustRoots, allowedCallers, storeDirectory, runDirectory,
                tunnelBindHost, tunnelBindPort, tunnelAdvertise, hypervisor, qemuBinary, qemuImg, qemuAccelerator, qemuMachine, images,
                maxVms, vmHost, vmPortFirst, vmPortLast, shutdownPolicy, commitGrace, snapshotTimeout, rpcThreads, "127.0.0.1",
                "127.0.0.1", 22000, 22999, Xen.defaults());
    }

    /** Reads and checks a configuration file. */
    public static HostConfig load(Path file) throws ConfigException {
        Properties p = new Properties();
        try (java.io.Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("cannot read configuration " + file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration " + file + ": " + e.getMessage());
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(p, base, file.toString());
    }

    /** Checks a configuration given as properties; {@code base} resolves relative paths; {@code where} names the source. */
    public static HostConfig parse(Properties p, Path base, String where) throws ConfigException {
        Keys r = new Keys(p, base, where);
        List<String> unknown = new ArrayList<>();
        for (String k : new TreeSet<>(p.stringPropertyNames())) {
            if (!KEYS.contains(k) && !k.startsWith("image.")) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException(where + ": unknown key(s) " + unknown + " (see docs/operator-hostd.md)");
        }
        String hostId = r.required("host.id");
        if (!HOST_ID.matcher(hostId).matches()) {
            throw new ConfigException(where + ": host.id '" + hostId + "' must match " + HOST_ID.pattern());
        }
        String hypervisor = r.get("hypervisor", "qemu");
        if (!hypervisor.equals("qemu") && !hypervisor.equals("xen")) {
            throw new ConfigException(where + ": hypervisor '" + hypervisor + "' is not supported (qemu or xen)");
        }
        String xenType = r.get("xen.type", "pvh");
        if (!Set.of("pvh", "pv", "auto").contains(xenType)) {
            throw new ConfigException(where + ": xen.type must be pvh, pv or auto, got '" + xenType + "'");
        }
        String xenLog = r.get("xen.log.level", "info");
        if (!Set.of("debug", "info", "warn", "error").contains(xenLog)) {
            throw new ConfigException(where + ": xen.log.level must be debug, info, warn or error, got '" + xenLog + "'");
        }
        Xen xen = new Xen(xenType, r.path("xen.console.dir", "/var/log/xen/console"), xenLog);
        String accel = r.get("qemu.accel", "tcg");
        if (!accel.equals("tcg") && !accel.equals("kvm")) {
            throw new ConfigException(where + ": qemu.accel must be tcg or kvm, got '" + accel + "'");
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (String s : r.required("allowed.callers").split("[,\\s]+")) {
            if (!s.isBlank()) {
                if (!s.startsWith("urn:publicid:IDN+")) {
                    throw new ConfigException(where + ": allowed.callers entry '" + s + "' is not a GENI URN (urn:publicid:IDN+...)");
                }
                allowed.add(s);
            }
        }
        if (allowed.isEmpty()) {
            throw new ConfigException(where + ": allowed.callers names no caller");
        }
        int[] vmPorts = range(r, "vm.ports", "42000-42999", where);
        int first = vmPorts[0];
        int last = vmPorts[1];
        int[] sshPorts = range(r, "ssh.ports", "22000-22999", where);
        String listen = r.get("listen.address", "0.0.0.0");
        // Experimenters cannot connect to a wildcard address; without a better guess the forwards stay on loopback.
        String sshAddress = r.get("ssh.address", listen.equals("0.0.0.0") || listen.equals("::") ? "127.0.0.1" : listen);
        String sshBind = r.get("ssh.bind", sshAddress);
        for (String[] kv : new String[][] {{"ssh.address", sshAddress}, {"ssh.bind", sshBind}}) {
            if (!kv[1].matches("[0-9A-Za-z.-]+")) {
                throw new ConfigException(where + ": " + kv[0] + " must be a host name or IPv4 address, got '" + kv[1] + "'");
            }
        }
        String policy = r.get("shutdown.vms", "destroy");
        ShutdownPolicy sp;
        try {
            sp = ShutdownPolicy.valueOf(policy.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": shutdown.vms must be destroy or leave, got '" + policy + "'");
        }
        Path store = r.path("store.dir", "/var/lib/vnsnap-hostd/snapshots");
        Path run = r.path("run.dir", store.resolveSibling("run").toString());
        String advertise = p.getProperty("tunnel.advertise");
        if (advertise != null && !advertise.strip().matches("[^\\s:]+:\\d{1,5}")) {
            throw new ConfigException(where + ": tunnel.advertise must be host:port, got '" + advertise.strip() + "'");
        }
        Map<String, ImageSpec> images = images(p, r, where, hypervisor.equals("xen") ? DEFAULT_XEN_CMDLINE : DEFAULT_CMDLINE);
        if (hypervisor.equals("xen")) {
            for (ImageSpec img : images.values()) {
                // The Xen driver boots domUs from a kernel and gives them raw disks through blkback.
                if (img.bootsFromDisk()) {
                    throw new ConfigException(where + ": image '" + img.name() + "' boots from its disk (boot=disk), which the Xen driver"
                            + " does not do; give it image." + img.name() + ".kernel");
                }
                if (img.disk() != null && img.disk().toString().endsWith(".qcow2")) {
                    throw new ConfigException(where + ": image '" + img.name() + "': the Xen driver reads raw disks only, and "
                            + img.disk() + " is qcow2; convert it with qemu-img convert -O raw");
                }
            }
        }
        return new HostConfig(hostId, listen, r.port("listen.port", 12346, true),
                r.requiredPath("identity.cert"), r.requiredPath("identity.key"), r.requiredPath("trust.roots"), allowed, store, run,
                r.get("tunnel.bind.host", "0.0.0.0"), r.port("tunnel.bind.port", 4790, true), advertise == null ? null : advertise.strip(),
                hypervisor, Path.of(r.get("qemu.binary", "qemu-system-x86_64")), Path.of(r.get("qemu.img", "qemu-img")), accel,
                r.get("qemu.machine", "pc"), images, r.integer("vm.max", 8, 0, 1000), r.get("vm.host", "127.0.0.1"), first, last,
                sp, Duration.ofMillis(r.integer("snapshot.commit.grace.ms", 200, 0, 60_000)),
                Duration.ofSeconds(r.integer("snapshot.timeout.s", 300, 1, 86_400)), r.integer("rpc.threads", 8, 1, 256),
                sshAddress, sshBind, sshPorts[0], sshPorts[1], xen);
    }

    /** A FIRST-LAST port range within 1024-65535. */
    private static int[] range(Keys r, String key, String dflt, String where) throws ConfigException {
        String ports = r.get(key, dflt);
        Matcher m = Pattern.compile("(\\d{1,5})-(\\d{1,5})").matcher(ports);
        if (!m.matches()) {
            throw new ConfigException(where + ": " + key + " must be FIRST-LAST, got '" + ports + "'");
        }
        int first = Integer.parseInt(m.group(1));
        int last = Integer.parseInt(m.group(2));
        if (first < 1024 || last > 65535 || first > last) {
            throw new ConfigException(where + ": " + key + " range " + ports + " must lie within 1024-65535, first <= last");
        }
        return new int[] {first, last};
    }

    private static Map<String, ImageSpec> images(Properties p, Keys r, String where, String defaultCmdline) throws ConfigException {
        Map<String, Map<String, String>> parts = new LinkedHashMap<>();
        for (String k : new TreeSet<>(p.stringPropertyNames())) {
            if (!k.startsWith("image.")) {
                continue;
            }
            Matcher m = IMAGE_KEY.matcher(k);
            if (!m.matches()) {
                throw new ConfigException(where + ": bad image key '" + k + "'; use image.<name>.kernel|initrd|cmdline|disk|boot|cloudinit");
            }
            parts.computeIfAbsent(m.group(1), n -> new LinkedHashMap<>()).put(m.group(2), p.getProperty(k).strip());
        }
        Map<String, ImageSpec> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> e : parts.entrySet()) {
            Map<String, String> v = e.getValue();
            String name = e.getKey();
            String boot = v.getOrDefault("boot", "kernel");
            if (!boot.equals("kernel") && !boot.equals("disk")) {
                throw new ConfigException(where + ": image." + name + ".boot must be kernel or disk, got '" + boot + "'");
            }
            String ci = v.getOrDefault("cloudinit", "false").toLowerCase(Locale.ROOT);
            if (!ci.equals("true") && !ci.equals("false")) {
                throw new ConfigException(where + ": image." + name + ".cloudinit must be true or false, got '" + ci + "'");
            }
            boolean fromDisk = boot.equals("disk");
            if (fromDisk) {
                for (String k : List.of("kernel", "initrd", "cmdline")) {
                    if (v.containsKey(k)) {
                        throw new ConfigException(where + ": image '" + name + "' boots from its disk (boot=disk), so image." + name + "."
                                + k + " does not apply");
                    }
                }
                if (!v.containsKey("disk")) {
                    throw new ConfigException(where + ": image '" + name + "' boots from its disk (boot=disk) but has no image." + name + ".disk");
                }
            } else if (!v.containsKey("kernel")) {
                throw new ConfigException(where + ": image '" + name + "' has no image." + name + ".kernel (or set image." + name
                        + ".boot=disk for a disk-booted cloud image)");
            }
            Path kernel = fromDisk ? null : r.resolve(v.get("kernel"));
            Path initrd = v.containsKey("initrd") ? r.resolve(v.get("initrd")) : null;
            Path disk = v.containsKey("disk") ? r.resolve(v.get("disk")) : null;
            for (Path f : new Path[] {kernel, initrd, disk}) {
                if (f != null && !Files.isRegularFile(f)) {
                    throw new ConfigException(where + ": image '" + name + "': file " + f + " does not exist");
                }
            }
            out.put(name, new ImageSpec(name, kernel, initrd, fromDisk ? "" : v.getOrDefault("cmdline", defaultCmdline), disk,
                    ci.equals("true")));
        }
        return out;
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

        String required(String key) throws ConfigException {
            String v = get(key, null);
            if (v == null) {
                throw new ConfigException(where + ": required key '" + key + "' is missing (see docs/operator-hostd.md)");
            }
            return v;
        }

        Path resolve(String s) {
            Path x = Path.of(s);
            return x.isAbsolute() || base == null ? x : base.resolve(x);
        }

        Path path(String key, String dflt) {
            return resolve(get(key, dflt));
        }

        Path requiredPath(String key) throws ConfigException {
            return resolve(required(key));
        }

        int integer(String key, int dflt, int min, int max) throws ConfigException {
            String v = get(key, null);
            if (v == null) {
                return dflt;
            }
            try {
                int i = Integer.parseInt(v);
                if (i < min || i > max) {
                    throw new ConfigException(where + ": " + key + " must be between " + min + " and " + max + ", got " + i);
                }
                return i;
            } catch (NumberFormatException e) {
                throw new ConfigException(where + ": " + key + " must be an integer, got '" + v + "'");
            }
        }

        int port(String key, int dflt, boolean zeroAllowed) throws ConfigException {
            return integer(key, dflt, zeroAllowed ? 0 : 1, 65535);
        }
    }
}
