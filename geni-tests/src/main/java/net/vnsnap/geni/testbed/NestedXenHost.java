package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.config.ConfigException;
import net.vnsnap.host.config.HostConfig;
import net.vnsnap.host.rpc.RemoteHostAgent;

/**
 * A real Xen 4.17 host nested in QEMU (TCG) with vnsnap-hostd running in its dom0, reachable from this machine over
 * forwarded ports: hostd's XML-RPC (mutual TLS), its UDP tunnel port and a test command channel into dom0.
 *
 * <p>Booting builds (or reuses) the cached image of {@code xen-host/xen-test/build-dom0.sh}, writes a small per-run cpio
 * with hostd's jars from this checkout, its configuration, TLS identity, trust roots and the test guest, appends it to
 * the dom0 root, starts QEMU and waits until hostd answers {@code info()}. A boot that crashes, exits or times out is
 * retried once (the flakes in docs/xen-testing.md). Closing (or JVM exit) kills QEMU.
 */
public final class NestedXenHost implements AutoCloseable {

    /** System property that turns the Xen suites on ({@code -Dvnsnap.xen.tests=true}). */
    public static final String SWITCH_PROPERTY = "vnsnap.xen.tests";
    /** Environment variable that turns them on too ({@code VNSNAP_XEN_TESTS=1}). */
    public static final String SWITCH_ENV = "VNSNAP_XEN_TESTS";
    /** hostd's XML-RPC port inside dom0. */
    public static final int HOSTD_PORT = 12346;
    /** The switch's UDP tunnel port inside dom0. */
    public static final int TUNNEL_PORT = 4790;
    /** The socat command channel inside dom0 (test images only). */
    public static final int COMMAND_PORT = 2323;
    /** Where the per-run cpio puts the project's test guest in dom0 ({@code vmlinux}, {@code initramfs.cpio.gz}). */
    public static final String GUEST_DIR = "/opt/vnsnap/guest";
    /** The project's guest initramfs with the Xen overlay appended (image "guest" of hostd in dom0). */
    public static final String GUEST_XEN_INITRD = GUEST_DIR + "/initramfs-xen.cpio.gz";
    /**
     * Its kernel command line: the overlay's rdinit, the Xen console, and {@code pci=off}: a PVH domU has no PCI bus, and
     * on the nested host a domU now and then triple-faulted at its early PCI probe (port 0xcf8, "AGP: Checking aperture").
     */
    public static final String GUEST_XEN_CMDLINE = "console=hvc0 rdinit=/init-xen quiet panic=-1 pci=off";
    /** The tiny test domU initramfs of the cached image: prints {@code DOMU-BOOTED}, then {@code COUNTER n} each second. */
    public static final String TINY_DOMU_INITRD = "/boot/domu.cpio.gz";
    /** The raw disk image of hostd's {@code disky} image (16 MiB of zeros, made at every boot on dom0's tmpfs). */
    public static final String DISK_IMAGE = "/tmp/vnsnap-hostd/images/disk.raw";
    /** Where xenconsoled writes each domU's console ({@code guest-<name>.log}). */
    public static final String CONSOLE_LOG_DIR = "/var/log/xen/console";
    /**
     * Xen option that keeps XSAVE (and so AVX) from Xen and every guest. With it on, the extended register state of
     * dom0 and domU processes got corrupted under QEMU 7.2's emulated SVM once domUs ran: hostd's JVM died in the GC
     * with vector-register garbage in heap headers, dom0 tools crashed in ld.so, domU processes hit invalid-opcode
     * faults in glibc's AVX code (docs/xen-testing.md trap 8). With FXSAVE only, two domUs run stably.
     */
    static final String XSAVE_OFF = "xsave=0";
    /** Text on the serial console that means dom0 or the machine died: a flake worth one more boot. */
    private static final List<String> CRASH_SIGNS = List.of("Hardware Dom0 crashed", "Kernel panic", "Segmentation fault",
            "domain_crash_sync", "Panic on CPU");
    /** Jars of hostd's run-time dependencies, by their Maven repository path; everything else on the class path is the
     * AM's or the tests'. JNA is here for the Xen driver. */
    private static final List<String> HOSTD_JAR_GROUPS = List.of("/org/bouncycastle/", "/com/evolvedbinary/", "/commons-logging/",
            "/org/apache/ws/commons/", "/commons-cli/", "/com/fasterxml/jackson/", "/org/apache/logging/log4j/", "/net/java/dev/jna/");

    /** Why a boot did not reach a serving hostd. */
    public enum BootFailure {
        /** QEMU exited before hostd served. */
        QEMU_EXITED(true),
        /** Xen or dom0 printed a crash (see CRASH_SIGNS). */
        DOM0_CRASHED(true),
        /** Nothing went wrong visibly, but hostd did not answer within the boot timeout. */
        TIMEOUT(true),
        /** hostd itself exited in dom0 (configuration or driver error; booting again would not help). */
        HOSTD_EXITED(false);

        /** Whether another boot may succeed. */
        public final boolean retryable;

        BootFailure(boolean retryable) {
            this.retryable = retryable;
        }
    }

    /** A boot that failed, with the reason. */
    public static final class BootException extends IOException {
        private static final long serialVersionUID = 1L;
        private final BootFailure failure;

        BootException(BootFailure failure, String message) {
            super(failure + ": " + message);
            this.failure = failure;
        }

        public BootFailure failure() {
            return failure;
        }
    }

    /**
     * How to boot one nested host.
     *
     * @param workDir        its files: per-run cpio, boot cpio, serial and QEMU logs (keep it under target/)
     * @param federation     the local federation that issues hostd's certificate and whose roots both sides trust
     * @param hostId         hostd's {@code host.id} and the name of its server identity in the federation
     * @param callerIdentity directory with {@code cert.pem}/{@code key.pem} of the AM: the only caller hostd allows
     * @param hostdConfig    hostd keys added to (or replacing) the defaults, e.g. {@code hypervisor=xen} and {@code xen.*}
     * @param bootTimeout    QEMU start until hostd answers, per attempt
     * @param attempts       boots tried in all (2 = one retry)
     * @param memoryMiB      the nested machine's RAM
     * @param dom0MemoryMiB  dom0's share; the rest is for domUs
     */
    public record Settings(Path workDir, LocalFederation federation, String hostId, Path callerIdentity, Map<String, String> hostdConfig,
            Duration bootTimeout, int attempts, int memoryMiB, int dom0MemoryMiB) {
        public Settings {
            hostdConfig = hostdConfig == null ? Map.of() : Map.copyOf(hostdConfig);
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
            if (dom0MemoryMiB >= memoryMiB) {
                throw new IllegalArgumentException("dom0 needs less memory than the machine");
            }
        }

        /** 3 GiB machine, 1.5 GiB dom0, two attempts, a boot timeout of {@code vnsnap.xen.boot.timeout.s} (default 600 s). */
        public static Settings defaults(Path workDir, LocalFederation federation, String hostId, Path callerIdentity) {
            long t = Long.getLong("vnsnap.xen.boot.timeout.s", 600);
            return new Settings(workDir, federation, hostId, callerIdentity, Map.of(), Duration.ofSeconds(t), 2, 3072, 1536);
        }

        public Settings withHostdConfig(Map<String, String> config) {
            return new Settings(workDir, federation, hostId, callerIdentity, config, bootTimeout, attempts, memoryMiB, dom0MemoryMiB);
        }
    }

    private final Settings settings;
    private final XenImage image;
    private final SSLContext callerTls;
    private final String hypervisor;
    private final int rpcPort;
    private final int tunnelPort;
    private final int commandPort;
    private final Dom0Shell shell;
    private final Duration bootTime;
    private final int attemptsUsed;
    /** The running QEMU; null after close. Guarded by this. */
    private Process qemu;
    private final Path serialLog;
    private final Thread shutdownHook;

    private NestedXenHost(Settings settings, XenImage image, SSLContext callerTls, String hypervisor, int rpcPort, int tunnelPort,
            int commandPort, Process qemu, Path serialLog, Thread shutdownHook, Duration bootTime, int attemptsUsed) {
        this.settings = settings;
        this.image = image;
        this.callerTls = callerTls;
        this.hypervisor = hypervisor;
        this.rpcPort = rpcPort;
        this.tunnelPort = tunnelPort;
        this.commandPort = commandPort;
        this.qemu = qemu;
        this.serialLog = serialLog;
        this.shutdownHook = shutdownHook;
        this.bootTime = bootTime;
        this.attemptsUsed = attemptsUsed;
        this.shell = new Dom0Shell(new InetSocketAddress("127.0.0.1", commandPort));
    }

    /** True when the Xen suites are switched on ({@value #SWITCH_PROPERTY}=true or {@value #SWITCH_ENV}=1). */
    public static boolean testsEnabled() {
        String env = System.getenv(SWITCH_ENV);
        return Boolean.getBoolean(SWITCH_PROPERTY) || "1".equals(env) || "true".equalsIgnoreCase(env);
    }

    /** The reason a skipped Xen suite gives. */
    public static String switchHint() {
        return "nested Xen tests are off: run with -D" + SWITCH_PROPERTY + "=true or " + SWITCH_ENV + "=1 (they boot Xen 4.17 under QEMU TCG"
                + " and need root for the image build; see docs/xen-testing.md)";
    }

    /** Builds or reuses the image, boots the host and waits until hostd answers; retries once on the known flakes. */
    public static NestedXenHost boot(Settings s) throws IOException, InterruptedException, GeneralSecurityException, InvalidUrnException {
        Path dir = Files.createDirectories(s.workDir().toAbsolutePath());
        List<Path> cp = hostdClassPath();
        XenImage image = XenImage.build(cp, dir.resolve("image-build.log"));
        Identity caller = LocalFederation.load(s.callerIdentity());
        String amUrn = GeniCertificate.of(caller.certificate()).urn().orElseThrow(
                () -> new IOException("the caller's certificate in " + s.callerIdentity() + " has no URN")).toString();
        s.federation().issueServer(s.hostId(), List.of("localhost", "127.0.0.1", "10.0.2.15"), Duration.ofDays(30));
        SSLContext tls = LocalTestbed.tls(caller, s.federation().trustRootsDirectory());
        String hv = s.hostdConfig().getOrDefault("hypervisor", xenSupported() ? "xen" : "qemu");

        BootException last = null;
        for (int attempt = 1; attempt <= s.attempts(); attempt++) {
            int rpc = freeTcpPort();
            int cmd = freeTcpPort();
            int tunnel = freeUdpPort();
            Path runDir = dir.resolve("run-" + attempt);
            Path bootCpio = writeBootArchive(s, image, cp, amUrn, hv, tunnel, runDir);
            Path serial = dir.resolve("serial-" + attempt + ".log");
            Files.deleteIfExists(serial);
            long t0 = System.nanoTime();
            Process q = startQemu(s, image, bootCpio, serial, dir.resolve("qemu-" + attempt + ".out"), rpc, cmd, tunnel);
            Thread hook = new Thread(q::destroyForcibly, "nested-xen-qemu-kill");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                awaitHostd(q, serial, URI.create("https://127.0.0.1:" + rpc + "/"), tls, s.bootTimeout(), cmd);
                // The boot cpio is 200+ MB; once Xen has loaded it, it is not needed again.
                Files.deleteIfExists(bootCpio);
                return new NestedXenHost(s, image, tls, hv, rpc, tunnel, cmd, q, serial, hook, Duration.ofNanos(System.nanoTime() - t0),
                        attempt);
            } catch (BootException e) {
                last = e;
                kill(q);
                Runtime.getRuntime().removeShutdownHook(hook);
                Files.deleteIfExists(bootCpio);
                if (!e.failure().retryable) {
                    throw e;
                }
                System.err.println("[NestedXenHost] boot attempt " + attempt + " failed (" + e.getMessage() + "); serial log " + serial);
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                kill(q);
                Runtime.getRuntime().removeShutdownHook(hook);
                throw e;
            }
        }
        throw last;
    }

    /** hostd's class path: xen-host, certs and their run-time jars, picked from this JVM's class path. */
    static List<Path> hostdClassPath() {
        String override = System.getProperty("vnsnap.xen.hostd.classpath");
        String cp = override != null ? override : DaemonLauncher.classPath();
        List<Path> out = new ArrayList<>();
        for (String e : cp.split(java.io.File.pathSeparator)) {
            if (e.isBlank()) {
                continue;
            }
            String n = e.replace('\\', '/');
            boolean module = n.endsWith("/xen-host/target/classes") || n.endsWith("/certs/target/classes")
                    || n.matches(".*/vnsnap-(xen-host|certs)-[^/]*\\.jar");
            boolean dependency = n.endsWith(".jar") && HOSTD_JAR_GROUPS.stream().anyMatch(n::contains);
            if (override != null || module || dependency) {
                out.add(Path.of(e));
            }
        }
        return out;
    }

    /** Whether this checkout's hostd accepts {@code hypervisor=xen} (the Xen driver exists); otherwise hostd runs with qemu. */
    static boolean xenSupported() {
        Properties p = new Properties();
        p.setProperty("host.id", "probe");
        p.setProperty("identity.cert", "cert.pem");
        p.setProperty("identity.key", "key.pem");
        p.setProperty("trust.roots", "roots");
        p.setProperty("allowed.callers", "urn:publicid:IDN+probe+authority+am");
        p.setProperty("hypervisor", "xen");
        try {
            HostConfig.parse(p, Path.of("/"), "probe");
            return true;
        } catch (ConfigException | RuntimeException e) {
            return false;
        }
    }

    /** The per-run cpio (hostd, config, identity, guest, start script), appended to a copy of the dom0 root. */
    private static Path writeBootArchive(Settings s, XenImage image, List<Path> cp, String amUrn, String hypervisor, int tunnelPort,
            Path runDir) throws IOException, InterruptedException {
        deleteTree(runDir);
        Path fs = Files.createDirectories(runDir.resolve("fs"));
        Path run = Files.createDirectories(fs.resolve("opt/vnsnap/run"));
        Path lib = Files.createDirectories(run.resolve("lib"));
        List<String> inDom0 = new ArrayList<>();
        int n = 0;
        for (Path e : cp) {
            if (Files.isDirectory(e)) {
                Path d = lib.resolve("dir" + (n++));
                copyTree(e, d);
                inDom0.add("/opt/vnsnap/run/lib/" + d.getFileName());
            } else if (Files.isRegularFile(e)) {
                Files.copy(e, lib.resolve(e.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                inDom0.add("/opt/vnsnap/run/lib/" + e.getFileName());
            }
        }
        Path id = s.federation().serverDirectory(s.hostId());
        Files.createDirectories(run.resolve("identity"));
        Files.copy(id.resolve("cert.pem"), run.resolve("identity/cert.pem"));
        Files.copy(id.resolve("key.pem"), run.resolve("identity/key.pem"));
        copyTree(s.federation().trustRootsDirectory(), run.resolve("trust-roots"));
        Path guest = Checkout.guestImage();
        Path g = Files.createDirectories(fs.resolve(GUEST_DIR.substring(1)));
        Files.copy(guest.resolve("vmlinux"), g.resolve("vmlinux"));
        Files.copy(guest.resolve("initramfs.cpio.gz"), g.resolve("initramfs.cpio.gz"));
        // Linux unpacks concatenated cpio archives one after the other, so the overlay's files replace the guest's. One
        // gzip member, not two: libxc inflates a ramdisk into a buffer sized by the last member's length, so a
        // two-member file fails to inflate ("xc_dom_do_gunzip: inflate failed") and is handed over still compressed.
        try (OutputStream o = new java.util.zip.GZIPOutputStream(Files.newOutputStream(g.resolve("initramfs-xen.cpio.gz")), 1 << 16)) {
            for (Path part : List.of(guest.resolve("initramfs.cpio.gz"), image.guestXenOverlay())) {
                try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(part), 1 << 16)) {
                    in.transferTo(o);
                }
            }
        }

        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("host.id", s.hostId());
        cfg.put("listen.address", "0.0.0.0");
        cfg.put("listen.port", Integer.toString(HOSTD_PORT));
        cfg.put("identity.cert", "identity/cert.pem");
        cfg.put("identity.key", "identity/key.pem");
        cfg.put("trust.roots", "trust-roots");
        cfg.put("allowed.callers", amUrn);
        // /tmp is dom0's 1.5 GiB tmpfs; the root file system is the initramfs.
        cfg.put("store.dir", "/tmp/vnsnap-hostd/snapshots");
        cfg.put("run.dir", "/tmp/vnsnap-hostd/run");
        cfg.put("tunnel.bind.host", "0.0.0.0");
        cfg.put("tunnel.bind.port", Integer.toString(TUNNEL_PORT));
        // Other hosts on this machine reach the switch through QEMU's UDP forward.
        cfg.put("tunnel.advertise", "127.0.0.1:" + tunnelPort);
        cfg.put("hypervisor", hypervisor);
        cfg.put("vm.max", "4");
        cfg.put("image.guest.kernel", GUEST_DIR + "/vmlinux");
        cfg.put("image.guest.initrd", GUEST_XEN_INITRD);
        cfg.put("image.guest.cmdline", GUEST_XEN_CMDLINE);
        // The guest with a raw disk (written by the start script below): disk state in the cut on real Xen.
        cfg.put("image.disky.kernel", GUEST_DIR + "/vmlinux");
        cfg.put("image.disky.initrd", GUEST_XEN_INITRD);
        cfg.put("image.disky.cmdline", GUEST_XEN_CMDLINE);
        cfg.put("image.disky.disk", DISK_IMAGE);
        cfg.put("image.tiny.kernel", GUEST_DIR + "/vmlinux");
        cfg.put("image.tiny.initrd", TINY_DOMU_INITRD);
        cfg.put("image.tiny.cmdline", "console=hvc0 quiet panic=-1");
        // Here the Xen driver's keys go (xen.*), passed in Settings.hostdConfig; they replace any default above.
        cfg.putAll(s.hostdConfig());
        StringBuilder props = new StringBuilder("# written by NestedXenHost for one boot\n");
        cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
        Files.writeString(run.resolve("hostd.properties"), props.toString());

        String script = """
                #!/bin/sh
                # Per-run start script written by NestedXenHost: the test command channel, then vnsnap-hostd.
                # /tmp (hostd's store) is RAM: keep it well below dom0's memory, so that a full store fails a snapshot
                # with a clear error instead of the kernel killing hostd.
                mount -o remount,size=%dm /tmp
                mkdir -p /tmp/vnsnap-hostd %s
                # As on an operator's dom0: hostd reads netback's rings there at a cut (docs/xen-driver.md).
                mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
                truncate -s 16M %s
                socat TCP-LISTEN:%d,reuseaddr,fork EXEC:/bin/sh,stderr </dev/null >/dev/null 2>&1 &
                echo "VNSNAP-DOM0 command-channel port=%d"
                cd /opt/vnsnap/run
                echo "VNSNAP-DOM0 hostd-starting uptime=$(cut -d' ' -f1 /proc/uptime)"
                /opt/vnsnap/jre/bin/java -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp \\
                  -cp '%s' net.vnsnap.host.HostDaemon --config /opt/vnsnap/run/hostd.properties 2>>/var/log/vnsnap-hostd.log
                echo "VNSNAP-DOM0 hostd-exited rc=$?"
                tail -n 40 /var/log/vnsnap-hostd.log
                for f in /opt/vnsnap/run/hs_err_pid*.log; do [ -f "$f" ] && echo "VNSNAP-DOM0 $f:" && head -n 80 "$f"; done
                """.formatted(s.dom0MemoryMiB() * 2 / 3, DISK_IMAGE.substring(0, DISK_IMAGE.lastIndexOf('/')), DISK_IMAGE, COMMAND_PORT, COMMAND_PORT,
                String.join(":", inDom0));
        Files.writeString(run.resolve("hostd.sh"), script);

        Path runCpio = runDir.resolve("run.cpio");
        Process p = new ProcessBuilder("sh", "-c", "cd fs && find . | cpio -o -H newc --quiet > ../run.cpio").directory(runDir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("packing the per-run cpio failed: " + out);
        }
        // Linux unpacks concatenated cpio archives one after the other: the per-run files land on the cached root.
        Path boot = runDir.resolve("boot.cpio");
        try (OutputStream o = Files.newOutputStream(boot)) {
            Files.copy(image.dom0Root(), o);
            Files.copy(runCpio, o);
        }
        deleteTree(fs);
        return boot;
    }

    private static Process startQemu(Settings s, XenImage image, Path bootCpio, Path serial, Path out, int rpc, int cmd, int tunnel)
            throws IOException {
        String xenArgs = "console=com1 com1=115200,8n1 dom0_mem=" + s.dom0MemoryMiB() + "M,max:" + s.dom0MemoryMiB()
                + "M dom0_max_vcpus=1 loglvl=all guest_loglvl=all smap=0 smep=0 " + XSAVE_OFF;
        // -Dvnsnap.xen.hv.args appends options to Xen's command line (diagnosis of the emulated SVM, e.g. asid=0).
        String extraXenArgs = System.getProperty("vnsnap.xen.hv.args", "").trim();
        if (!extraXenArgs.isEmpty()) {
            xenArgs += " " + extraXenArgs;
        }
        String dom0Args = "console=hvc0 earlyprintk=xen vnsnap.run=hostd";
        for (Path f : List.of(image.dom0Kernel(), bootCpio)) {
            if (f.toString().contains(",")) {
                throw new IOException("QEMU's -initrd list cannot hold a path with a comma: " + f);
            }
        }
        String net = "user,id=n0,hostfwd=tcp:127.0.0.1:" + rpc + "-:" + HOSTD_PORT + ",hostfwd=tcp:127.0.0.1:" + cmd + "-:" + COMMAND_PORT
                + ",hostfwd=udp:127.0.0.1:" + tunnel + "-:" + TUNNEL_PORT;
        // -Dvnsnap.xen.qemu picks another QEMU (e.g. qemu-system-x86_64 for the installed QEMU 10, which cannot run PVH domUs).
        String qemu = System.getProperty("vnsnap.xen.qemu", image.qemu().toString());
        // -Dvnsnap.xen.tcg.thread=single runs both emulated CPUs on one host thread, -Dvnsnap.xen.smp=1 gives Xen one
        // CPU (slower; for diagnosing effects of concurrency in the emulation).
        String thread = System.getProperty("vnsnap.xen.tcg.thread", "multi");
        // -Dvnsnap.xen.cpu overrides the model (max keeps the emulated SVM+NPT; -rdtscp for PVH guests; dropping AVX
        // makes PVH domUs triple-fault).
        String cpu = System.getProperty("vnsnap.xen.cpu", "max,-rdtscp");
        String cpus = System.getProperty("vnsnap.xen.smp", "2");
        List<String> argv = List.of(qemu, "-accel", "tcg,thread=" + thread, "-cpu", cpu, "-smp", cpus,
                "-m", Integer.toString(s.memoryMiB()), "-display", "none", "-monitor", "none", "-no-reboot",
                "-serial", "file:" + serial, "-kernel", image.hypervisor().toString(), "-append", xenArgs,
                "-initrd", image.dom0Kernel() + " " + dom0Args + "," + bootCpio,
                "-netdev", net, "-device", "e1000,netdev=n0,romfile=");
        Files.writeString(out, String.join(" ", argv) + "\n");
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
    }

    /**
     * Polls the serial log and hostd until {@code info()} is answered over mutual TLS (an error answer counts: hostd
     * serves), or the boot fails.
     */
    private static void awaitHostd(Process q, Path serial, URI url, SSLContext tls, Duration timeout, int cmdPort)
            throws BootException, IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long offset = 0;
        StringBuilder tail = new StringBuilder();
        boolean readyLine = false;
        String lastError = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!q.isAlive()) {
                throw new BootException(BootFailure.QEMU_EXITED, "exit " + q.exitValue() + "; serial log " + serial + " ends: " + last(tail));
            }
            if (Files.exists(serial)) {
                try (RandomAccessFile f = new RandomAccessFile(serial.toFile(), "r")) {
                    if (f.length() > offset) {
                        byte[] b = new byte[(int) Math.min(f.length() - offset, 4 << 20)];
                        f.seek(offset);
                        f.readFully(b);
                        offset += b.length;
                        tail.append(new String(b, StandardCharsets.ISO_8859_1));
                    }
                }
                for (String sign : CRASH_SIGNS) {
                    if (tail.indexOf(sign) >= 0) {
                        throw new BootException(BootFailure.DOM0_CRASHED, "'" + sign + "' on the console; serial log " + serial);
                    }
                }
                if (tail.indexOf("VNSNAP-DOM0 hostd-exited") >= 0) {
                    throw new BootException(BootFailure.HOSTD_EXITED, "serial log " + serial + " ends: " + last(tail));
                }
                readyLine |= tail.indexOf(net.vnsnap.host.HostDaemon.READY) >= 0;
                // Keep only what a sign could still straddle; the file keeps everything.
                if (tail.length() > 1 << 16) {
                    tail.delete(0, tail.length() - (1 << 12));
                }
            }
            if (readyLine) {
                try {
                    new RemoteHostAgent(url, tls, Duration.ofSeconds(30), Duration.ofSeconds(60)).info();
                    return;
                } catch (HostException e) {
                    if (e.reason() != HostException.Reason.UNREACHABLE) {
                        // hostd serves over TLS and answered; what it answered is the tests' business.
                        return;
                    }
                    lastError = e.getMessage();
                } catch (IOException e) {
                    lastError = e.getMessage();
                }
            }
            Thread.sleep(2000);
        }
        throw new BootException(BootFailure.TIMEOUT, "hostd did not answer info() within " + timeout + " (ready line seen: " + readyLine
                + ", last error: " + lastError + "); serial log " + serial + " ends: " + last(tail));
    }

    private static String last(StringBuilder tail) {
        String t = tail.toString();
        return t.substring(Math.max(0, t.length() - 1500));
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> w = Files.walk(from)) {
            for (Path p : (Iterable<Path>) w::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.createDirectories(t.getParent());
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> w = Files.walk(dir)) {
            for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void kill(Process q) throws InterruptedException {
        q.destroyForcibly();
        q.waitFor(30, TimeUnit.SECONDS);
    }

    /** hostd's XML-RPC URL, forwarded to this machine's loopback. */
    public URI rpc() {
        return URI.create("https://127.0.0.1:" + rpcPort + "/");
    }

    /** {@code 127.0.0.1:<port>}: the forwarded UDP tunnel port, also what hostd advertises as its tunnel endpoint. */
    public String tunnelEndpoint() {
        return "127.0.0.1:" + tunnelPort;
    }

    /** The trust-root directory hostd's certificate chains to (the federation's). */
    public Path trustRoots() {
        return settings.federation().trustRootsDirectory();
    }

    /** Directory with hostd's {@code cert.pem} and {@code key.pem}. */
    public Path hostIdentity() {
        return settings.federation().serverDirectory(settings.hostId());
    }

    public String hostId() {
        return settings.hostId();
    }

    /** The hypervisor hostd was configured with: "xen" once the Xen driver exists, else "qemu". */
    public String hypervisor() {
        return hypervisor;
    }

    /** The whole console: Xen, dom0 kernel, dom0 /init and hostd's stdout. */
    public Path serialLog() {
        return serialLog;
    }

    public XenImage image() {
        return image;
    }

    /** QEMU start until hostd answered, for the boot that succeeded. */
    public Duration bootTime() {
        return bootTime;
    }

    /** Which boot succeeded (1, or 2 after a retry). */
    public int attemptsUsed() {
        return attemptsUsed;
    }

    /** A client of hostd as the allowed caller (the AM identity given in the settings). */
    public RemoteHostAgent agent(Duration callTimeout, Duration longTimeout) throws IOException {
        return new RemoteHostAgent(rpc(), callerTls, callTimeout, longTimeout);
    }

    /** Runs a shell command in dom0 through the test command channel. */
    public Dom0Shell.Result dom0(String command, Duration timeout) throws IOException {
        return shell.run(command, timeout);
    }

    /** Runs a command in dom0 and fails unless it exits 0; returns its output. */
    public String dom0Ok(String command, Duration timeout) throws IOException {
        Dom0Shell.Result r = shell.run(command, timeout);
        if (!r.ok()) {
            throw new IOException("dom0 command failed (exit " + r.exitCode() + "): " + command + "\n" + r.output());
        }
        return r.output();
    }

    /** A domU's console so far, as xenconsoled logged it in dom0 ({@code guest-<name>.log}); empty when there is none yet. */
    public String domainConsole(String domain) throws IOException {
        if (!domain.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("not a domain name: " + domain);
        }
        return shell.run("cat " + CONSOLE_LOG_DIR + "/guest-" + domain + ".log 2>/dev/null", Duration.ofSeconds(60)).output();
    }

    /** hostd's stderr log inside dom0. */
    public String hostdLog() throws IOException {
        return dom0Ok("cat /var/log/vnsnap-hostd.log", Duration.ofSeconds(60));
    }

    /** Whether QEMU still runs. */
    public synchronized boolean isAlive() {
        return qemu != null && qemu.isAlive();
    }

    /** Kills QEMU (the nested host has nothing worth a clean shutdown). */
    @Override
    public synchronized void close() throws InterruptedException {
        if (qemu == null) {
            return;
        }
        kill(qemu);
        qemu = null;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook kills QEMU too.
        }
    }

    @Override
    public String toString() {
        return "NestedXenHost[" + settings.hostId() + " rpc=" + rpc() + " image=" + image.key() + " hypervisor="
                + hypervisor.toLowerCase(Locale.ROOT) + "]";
    }
}
