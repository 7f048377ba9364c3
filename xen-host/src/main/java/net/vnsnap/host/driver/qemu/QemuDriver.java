package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.vnsnap.host.access.UserListFormat;
import net.vnsnap.host.driver.Capabilities;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.NoSuchVmException;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.RestoreResult;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The hypervisor driver for QEMU: one QEMU process per VM, controlled over QMP. */
public final class QemuDriver implements HypervisorDriver {
    private static final Logger LOG = LogManager.getLogger(QemuDriver.class);

    private final QemuConfig config;
    private final Map<String, QemuVm> vms = new ConcurrentHashMap<>();
    /** Makes every QEMU instance directory unique, also for a VM restored under its old name. */
    private final AtomicLong instances = new AtomicLong();
    /**
     * Sequence numbers of user lists; seeded from the clock so that a restored guest, which may still owe an
     * answer to an earlier instance, never answers a new list with a stale acknowledgement.
     */
    private final AtomicLong userListSeq = new AtomicLong(System.currentTimeMillis());
    /** The installed QEMU's version, read once from --version. */
    private volatile QemuVersion installedVersion;

    public QemuDriver(QemuConfig config) {
        this.config = config;
    }

    /** The installed QEMU's version; throws when QEMU cannot be run. */
    public String qemuVersion() throws DriverException {
        return version().toString();
    }

    private QemuVersion version() throws DriverException {
        QemuVersion v = installedVersion;
        if (v == null) {
            String out = run(List.of(config.qemuBinary().toString(), "--version"), "query the QEMU version");
            v = QemuVersion.parse(out);
            installedVersion = v;
        }
        return v;
    }

    @Override
    public Capabilities capabilities() throws DriverException {
        QemuVersion v = version();
        Set<SnapshotMode> modes = EnumSet.of(SnapshotMode.COW, SnapshotMode.STOP);
        if (!"tcg".equals(config.accelerator()) || v.preCopySafeUnderTcg()) {
            modes.add(SnapshotMode.LIVE);
        }
        return new Capabilities("qemu", v.toString(), config.accelerator(), modes);
    }

    @Override
    public void create(VmSpec spec) throws DriverException {
        launch(spec, false);
    }

    private QemuVm launch(VmSpec spec, boolean incoming) throws DriverException {
        if (vms.containsKey(spec.name())) {
            throw new DriverException("a VM named '" + spec.name() + "' already exists on this host");
        }
        QemuVersion v = version();
        QemuInstancePaths paths = new QemuInstancePaths(config.runDirectory().resolve(spec.name() + "." + instances.incrementAndGet()));
        Process p;
        try {
            Files.createDirectories(paths.dir());
            if (spec.access() != null) {
                writeBootUsers(spec, paths.usersFile());
            }
            List<String> argv = QemuCommandLine.build(config, spec, paths, incoming);
            LOG.debug("starting {}: {}", spec.name(), argv);
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(paths.qemuLog().toFile()).start();
        } catch (IOException e) {
            throw new DriverException("cannot start QEMU for " + spec.name() + ": " + e.getMessage(), e);
        }
        QmpClient qmp;
        try {
            qmp = connectWhileAlive(p, paths, spec.name());
        } catch (DriverException e) {
            p.destroyForcibly();
            throw e;
        }
        QemuVm vm = new QemuVm(spec, paths, p, qmp, v);
        vms.put(spec.name(), vm);
        return vm;
    }

    private QmpClient connectWhileAlive(Process p, QemuInstancePaths paths, String name) throws DriverException {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new DriverException("QEMU for " + name + " exited with status " + p.exitValue() + ": " + tail(paths.qemuLog()));
            }
            if (Files.exists(paths.qmpSocket())) {
                try {
                    return QmpClient.connect(paths.qmpSocket(), name, config.commandTimeout());
                } catch (QmpException e) {
                    throw new DriverException("cannot talk QMP to QEMU for " + name + ": " + e.getMessage() + "; " + tail(paths.qemuLog()), e);
                }
            }
            sleep(20);
        }
        throw new DriverException("QEMU for " + name + " did not open its QMP socket within " + config.startTimeout().toSeconds() + " s");
    }

    @Override
    public void start(String vm) throws DriverException {
        cont(get(vm), "start");
    }

    @Override
    public void pause(String vm) throws DriverException {
        QemuVm v = get(vm);
        v.operation.lock();
        try {
            v.qmp.execute("stop", null, config.commandTimeout());
        } catch (QmpException e) {
            throw new DriverException("cannot pause " + vm + ": " + e.getMessage(), e);
        } finally {
            v.operation.unlock();
        }
    }

    @Override
    public void resume(String vm) throws DriverException {
        cont(get(vm), "resume");
    }

    private void cont(QemuVm v, String what) throws DriverException {
        v.operation.lock();
        try {
            v.qmp.execute("cont", null, config.commandTimeout());
            v.restoredPaused = false;
        } catch (QmpException e) {
            throw new DriverException("cannot " + what + " " + v.name() + ": " + e.getMessage(), e);
        } finally {
            v.operation.unlock();
        }
    }

    @Override
    public void destroy(String vm) {
        QemuVm v = vms.remove(vm);
        if (v != null) {
            v.kill();
        }
    }

    @Override
    public VmState state(String vm) throws DriverException {
        return get(vm).state(config.commandTimeout());
    }

    @Override
    public VmSpec spec(String vm) throws DriverException {
        return get(vm).spec();
    }

    @Override
    public Optional<Path> consoleLog(String vm) throws DriverException {
        return Optional.of(get(vm).paths.consoleLog());
    }

    /** The list the guest reads at boot: its users and which NICs are control NICs. */
    private static void writeBootUsers(VmSpec spec, Path file) throws IOException {
        List<String> control = spec.nics().stream().filter(n -> n.attachment() instanceof NetworkAttachment.HostForward)
                .map(NicSpec::mac).toList();
        Files.writeString(file, UserListFormat.encode(0, control, spec.access().users()), StandardCharsets.UTF_8);
    }

    @Override
    public void updateUsers(String vm, List<GuestUser> users) throws DriverException {
        QemuVm v = get(vm);
        if (v.spec().access() == null) {
            throw new DriverException(vm + " was created without guest access, so it has no channel for user lists");
        }
        GuestAccess access = new GuestAccess(users);
        synchronized (v.accessExchange) {
            VmState st = v.state(config.commandTimeout());
            if (st != VmState.RUNNING) {
                throw new DriverException("cannot update the users of " + vm + " while it is " + st + ": the guest applies them");
            }
            long seq = userListSeq.incrementAndGet();
            UserListFormat.Ack ack = GuestAccessPort.exchange(v.paths.accessSocket(),
                    UserListFormat.encode(seq, List.of(), access.users()), seq, config.commandTimeout(), vm);
            if (!ack.ok()) {
                throw new DriverException("guest " + vm + " refused the user list: " + ack.detail());
            }
            v.accessUpdated(access);
            LOG.info("{}: users updated ({})", vm, ack.detail());
        }
    }

    /** The QEMU process id, for operators and fault-injection tests. */
    public long pid(String vm) throws DriverException {
        return get(vm).process.pid();
    }

    @Override
    public SnapshotResult snapshot(String vm, SnapshotRequest request) throws DriverException {
        QemuVm v = get(vm);
        if (request.mode() == SnapshotMode.LIVE && "tcg".equals(config.accelerator()) && !v.version.preCopySafeUnderTcg()) {
            throw new UnsupportedModeException("live (pre-copy) snapshots are refused on QEMU " + v.version
                    + " with TCG: before QEMU 9.0 TCG misses dirty pages and restored guests are corrupt; use cow or stop, or QEMU >= 9");
        }
        v.operation.lock();
        try {
            return new QemuSnapshot(v, request, config, this::createOverlay).run();
        } finally {
            v.operation.unlock();
        }
    }

    /** Creates an empty qcow2 overlay whose header names the disk's current top image as its backing file. */
    private Path createOverlay(QemuVm v, DiskSpec disk, long virtualSize, int seq) throws DriverException {
        Path file = v.paths.dir().resolve(disk.id() + "-s" + seq + ".qcow2").toAbsolutePath();
        // -u: the backing image is open (and locked) by QEMU, so qemu-img must not open it; the size is given.
        run(List.of(config.qemuImg().toString(), "create", "-q", "-f", "qcow2", "-u", "-b", disk.image().toAbsolutePath().toString(),
                "-F", disk.format(), file.toString(), Long.toString(virtualSize)), "create an overlay for disk " + disk.id());
        return file;
    }

    @Override
    public RestoreResult restore(RestoreRequest request) throws DriverException {
        long t0 = System.nanoTime();
        VmSpec frozen = request.spec();
        if (!Files.isRegularFile(request.memoryImage())) {
            throw new RestoreFailedException("memory image " + request.memoryImage() + " does not exist", null);
        }
        Path overlayDir = config.runDirectory().resolve(frozen.name() + ".restore." + instances.incrementAndGet());
        List<DiskSpec> disks = new ArrayList<>();
        try {
            Files.createDirectories(overlayDir);
            for (DiskSpec d : frozen.disks()) {
                if (!Files.isRegularFile(d.image())) {
                    throw new RestoreFailedException("frozen disk image " + d.image() + " of " + d.id() + " is missing", null);
                }
                Path ovl = overlayDir.resolve(d.id() + "-restored.qcow2");
                run(List.of(config.qemuImg().toString(), "create", "-q", "-f", "qcow2", "-b", d.image().toAbsolutePath().toString(),
                        "-F", d.format(), ovl.toString()), "create the restore overlay for " + d.id());
                disks.add(d.withImage(ovl, "qcow2"));
            }
        } catch (IOException e) {
            throw new RestoreFailedException("cannot prepare restore of " + frozen.name() + ": " + e.getMessage(), e);
        }
        VmSpec active = frozen.withDisks(disks);
        QemuVm v = launch(active, true);
        try {
            ObjectNode caps = QmpClient.args();
            caps.set("capabilities", QemuSnapshot.caps(false, false));
            v.qmp.execute("migrate-set-capabilities", caps, config.commandTimeout());
            v.qmp.execute("migrate-incoming", QmpClient.args().put("uri", QemuSnapshot.uri(v.version, request.memoryImage(), false)),
                    config.commandTimeout());
            long deadline = System.nanoTime() + request.timeout().toNanos();
            while (true) {
                JsonNode mig = v.qmp.execute("query-migrate", null, config.commandTimeout());
                String status = mig.path("status").asText("");
                if ("failed".equals(status) || "cancelled".equals(status)) {
                    throw new QmpException("MigrationFailed", "loading the memory image " + status + ": "
                            + mig.path("error-desc").asText(v.qemuLogTail()));
                }
                if ("completed".equals(status)) {
                    String run = v.qmp.execute("query-status", null, config.commandTimeout()).path("status").asText();
                    if (!"inmigrate".equals(run)) {
                        break;
                    }
                }
                if (!v.process.isAlive()) {
                    throw new QmpException("Closed", "QEMU exited while loading: " + v.qemuLogTail());
                }
                if (System.nanoTime() > deadline) {
                    throw new QmpException("Timeout", "loading did not finish within " + request.timeout().toSeconds() + " s");
                }
                sleep(20);
            }
            v.restoredPaused = true;
            return new RestoreResult(Duration.ofNanos(System.nanoTime() - t0), active);
        } catch (QmpException e) {
            String log = v.qemuLogTail();
            destroy(frozen.name());
            throw new RestoreFailedException("restore of " + frozen.name() + " from " + request.memoryImage() + " failed: "
                    + e.getMessage() + " (QEMU: " + log + ")", e);
        }
    }

    @Override
    public void close() {
        for (String name : List.copyOf(vms.keySet())) {
            destroy(name);
        }
    }

    private QemuVm get(String vm) throws NoSuchVmException {
        QemuVm v = vms.get(vm);
        if (v == null) {
            throw new NoSuchVmException(vm);
        }
        return v;
    }

    /** Runs a helper program to completion and returns its output; fails with the output when it fails. */
    String run(List<String> argv, String purpose) throws DriverException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new DriverException("timed out trying to " + purpose);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new DriverException("cannot " + purpose + ": " + argv.get(0) + " exited " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new DriverException("cannot " + purpose + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted trying to " + purpose, e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no QEMU log)";
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates the overlay file a snapshot puts on top of a disk. */
    @FunctionalInterface
    interface OverlayFactory {
        Path createOverlay(QemuVm vm, DiskSpec disk, long virtualSize, int seq) throws DriverException;
    }
}
