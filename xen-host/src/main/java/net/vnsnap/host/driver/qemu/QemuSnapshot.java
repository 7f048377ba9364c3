package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** One snapshot of one QEMU VM in one of the three modes; on any failure the VM is resumed. */
final class QemuSnapshot {
    private static final Logger LOG = LogManager.getLogger(QemuSnapshot.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A local file absorbs far more than QEMU's 128 MiB/s default; a low limit only stretches the save. */
    static final long DEFAULT_BANDWIDTH = 4L << 30;
    /** Pre-copy's final-pause target; QEMU's 300 ms default is longer than the stop baseline at these sizes. */
    static final Duration DEFAULT_DOWNTIME_LIMIT = Duration.ofMillis(50);
    /** After this long without converging, the host stops a live VM anyway and the rest is copied while it is paused. */
    static final Duration STOP_AFTER = Duration.ofSeconds(5);
    /** Dirty-bitmap rounds after which pre-copy is taken as not converging any further, and the host stops the VM. */
    static final int STOP_AFTER_ROUNDS = 8;
    private static final Set<String> ACTIVE = Set.of("setup", "active", "pre-switchover", "device", "wait-unplug",
            "postcopy-active", "postcopy-paused", "cancelling");

    private final QemuVm vm;
    private final SnapshotRequest req;
    private final QemuConfig cfg;
    private final QemuDriver.OverlayFactory overlays;
    private final List<QmpEvent> runEvents = new CopyOnWriteArrayList<>();
    /** Released on every MIGRATION event so status polling reacts at once instead of at the next poll. */
    private final Semaphore migrationChanged = new Semaphore(0);
    private final Consumer<QmpEvent> recorder = e -> {
        if ("STOP".equals(e.name()) || "RESUME".equals(e.name())) {
            runEvents.add(e);
        } else if ("MIGRATION".equals(e.name())) {
            migrationChanged.release();
        }
    };
    private VmSpec frozenSpec;
    private final List<PreparedOverlay> prepared = new java.util.ArrayList<>();
    /** How many prepared overlays are in use; the rest are discarded if the snapshot fails. */
    private int switched;
    /** Host-side step durations, reported with the result. */
    private final java.util.Map<String, Duration> phases = new java.util.LinkedHashMap<>();
    private long phaseStart;
    /** Wall-clock instant of the first phase's start: anchors the phase durations on the hosts' common time axis. */
    private Instant phasesStartedAt;
    /** Host time of our own pause/resume, used only when QEMU's events did not arrive. */
    private long hostPausedNanos;
    private long hostResumedNanos;

    QemuSnapshot(QemuVm vm, SnapshotRequest req, QemuConfig cfg, QemuDriver.OverlayFactory overlays) {
        this.vm = vm;
        this.req = req;
        this.cfg = cfg;
        this.overlays = overlays;
    }

    SnapshotResult run() throws DriverException {
        long t0 = System.nanoTime();
        long deadline = t0 + req.timeout().toNanos();
        if (Files.exists(req.memoryImage())) {
            throw new DriverException("memory image " + req.memoryImage() + " already exists");
        }
        VmState before = vm.state(cfg.commandTimeout());
        if (before != VmState.RUNNING) {
            throw new DriverException("cannot snapshot " + vm.name() + ": it is " + before + ", not RUNNING");
        }
        frozenSpec = vm.spec();
        vm.qmp.addEventListener(recorder);
        phasesStartedAt = Instant.now();
        phaseStart = System.nanoTime();
        try {
            JsonNode mig = switch (req.mode()) {
                case COW -> cow(deadline);
                case LIVE -> live(deadline);
                case STOP -> stopAndCopy(deadline);
            };
            long written = Files.size(req.memoryImage());
            long ram = mig.path("ram").path("total").asLong(vm.spec().memoryMiB() * 1024L * 1024L);
            req.progress().progress(vm.name(), mig.path("ram").path("transferred").asLong(written), ram, "completed");
            Instant cutAt = firstEvent("STOP", Instant.MIN).map(QmpEvent::timestamp).orElse(Instant.now());
            return new SnapshotResult(req.mode(), cutAt, downtime(), Duration.ofNanos(System.nanoTime() - t0), written, ram,
                    frozenSpec, vm.version.toString(), phases, phasesStartedAt);
        } catch (QmpException | DriverException | IOException | RuntimeException | HookFailure e) {
            throw fail(e);
        } finally {
            vm.qmp.removeEventListener(recorder);
        }
    }

    /** Background snapshot: our stop picks the instant; the VM resumes as soon as QEMU has write-protected its memory. */
    private JsonNode cow(long deadline) throws QmpException, DriverException, HookFailure {
        setCapabilities(true, false);
        setParameters(null);
        prepareOverlays();
        phase("configure");
        callBeforePause();
        pauseNow();
        phase("pause");
        switchDiskOverlays();
        phase("disk-overlays");
        callCut();
        phase("cut-hook");
        startMigration();
        phase("start-save");
        resumeOnceArmed(deadline);
        callAfterResume();
        phase("arm-and-resume");
        JsonNode done = awaitMigration(Set.of("completed"), deadline);
        phase("write-memory");
        return done;
    }

    /**
     * QEMU 7.2 resumes a background snapshot's VM by itself; 10.0 restores the run state it found, which
     * is our pause. Pages are sent only after the device state is saved and write protection is armed,
     * so the first page counted (or completion) says it is safe to resume.
     */
    private void resumeOnceArmed(long deadline) throws QmpException {
        while (true) {
            String run = vm.qmp.execute("query-status", null, cfg.commandTimeout()).path("status").asText();
            if ("running".equals(run)) {
                hostResumedNanos = System.nanoTime();
                return;
            }
            JsonNode m = vm.qmp.execute("query-migrate", null, cfg.commandTimeout());
            String status = m.path("status").asText();
            if ("failed".equals(status) || "cancelled".equals(status)) {
                throw new QmpException("MigrationFailed", "saving memory " + status + ": "
                        + m.path("error-desc").asText("no reason given"));
            }
            JsonNode ram = m.path("ram");
            if ("completed".equals(status) || ram.path("normal").asLong() + ram.path("duplicate").asLong() > 0) {
                resumeNow();
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new QmpException("Timeout", "background snapshot did not start within the timeout");
            }
            QemuDriver.sleep(1);
        }
    }

    /**
     * Pre-copy, with the host choosing the pause as in the other modes: the switch holds the VM's frames before the
     * migration starts, the VM is copied while it runs, and once the copy has converged enough (see {@link #timeToStop})
     * the host stops it. QEMU cannot be kept from stopping the VM by itself when a pass ends with little left, so the
     * hold comes first: whichever stop comes first, no frame reaches the VM's backend after it unrecorded. With
     * pause-before-switchover QEMU then waits in pre-switchover (VM paused, disks writable) for the disks and the cut.
     */
    private JsonNode live(long deadline) throws QmpException, DriverException, HookFailure {
        Duration limit = req.downtimeLimit() == null ? DEFAULT_DOWNTIME_LIMIT : req.downtimeLimit();
        setCapabilities(false, true);
        setParameters(limit);
        prepareOverlays();
        callBeforePause();
        phase("configure");
        startMigration();
        long started = System.nanoTime();
        while (true) {
            JsonNode m = pollMigration(deadline);
            String status = m.path("status").asText("none");
            if ("pre-switchover".equals(status)) {
                // QEMU paused the VM itself at convergence (the frames were held already); it is our pause from here.
                LOG.debug("{}: pre-copy converged before the host stopped the VM", vm.name());
                hostPausedNanos = System.nanoTime();
                break;
            }
            if ("completed".equals(status)) {
                throw new QmpException("MigrationFailed", "pre-copy completed without waiting in pre-switchover");
            }
            if (timeToStop(m, limit, Duration.ofNanos(System.nanoTime() - started))) {
                pauseNow();
                break;
            }
            awaitChange();
        }
        phase("pre-copy");
        // The stop and what was left to copy with the VM paused, until QEMU waits in pre-switchover.
        awaitMigration(Set.of("pre-switchover"), deadline);
        phase("pause");
        switchDiskOverlays();
        phase("disk-overlays");
        callCut();
        phase("cut-hook");
        vm.qmp.execute("migrate-continue", QmpClient.args().put("state", "pre-switchover"), cfg.commandTimeout());
        JsonNode done = awaitMigration(Set.of("completed"), deadline);
        phase("final-copy");
        resumeNow();
        callAfterResume();
        phase("resume");
        return done;
    }

    /**
     * Whether a live pre-copy has converged enough for the host to stop the VM: what is left fits the downtime limit at
     * the measured rate (or nothing is left), the copy has gone round {@link #STOP_AFTER_ROUNDS} times, or it has run
     * {@link #STOP_AFTER}. Everything left is copied after the stop, so a late stop costs pause time, never correctness.
     *
     * @param m       a query-migrate answer
     * @param limit   the downtime the pause should stay within
     * @param elapsed time since the migration started
     */
    static boolean timeToStop(JsonNode m, Duration limit, Duration elapsed) {
        if (!"active".equals(m.path("status").asText())) {
            return false;
        }
        JsonNode ram = m.path("ram");
        if (ram.path("total").asLong() <= 0) {
            return false;
        }
        if (elapsed.compareTo(STOP_AFTER) >= 0 || ram.path("dirty-sync-count").asLong() >= STOP_AFTER_ROUNDS) {
            return true;
        }
        if (ram.path("transferred").asLong() <= 0) {
            return false;
        }
        // mbps is megabits per second; a limit of L ms moves mbps * 1e6 / 8 * L / 1000 bytes.
        double bytesInLimit = ram.path("mbps").asDouble() * 125.0 * limit.toMillis();
        return ram.path("remaining").asLong() <= bytesInLimit;
    }

    /** The save-with-the-VM-paused baseline (virsh save / xl save -c). */
    private JsonNode stopAndCopy(long deadline) throws QmpException, DriverException, HookFailure {
        setCapabilities(false, false);
        setParameters(null);
        prepareOverlays();
        phase("configure");
        callBeforePause();
        pauseNow();
        phase("pause");
        // The cut comes right after the pause, not after the save: frames that reach the paused VM's socket during the
        // save are read only after it resumes, so they belong to neither the image nor (before the cut) the recorded
        // channel state, and a restore would lose them. After the cut the switch records them.
        callCut();
        phase("cut-hook");
        startMigration();
        JsonNode done = awaitMigration(Set.of("completed"), deadline);
        phase("write-memory");
        switchDiskOverlays();
        phase("disk-overlays");
        resumeNow();
        callAfterResume();
        phase("resume");
        return done;
    }

    private void phase(String name) {
        long now = System.nanoTime();
        phases.put(name, Duration.ofNanos(now - phaseStart));
        phaseStart = now;
    }

    private void setCapabilities(boolean background, boolean pauseBeforeSwitchover) throws QmpException {
        try {
            vm.qmp.execute("migrate-set-capabilities", (ObjectNode) QmpClient.args().set("capabilities",
                    caps(background, pauseBeforeSwitchover)), cfg.commandTimeout());
        } catch (QmpException e) {
            if (background) {
                throw new QmpException("Unsupported", "QEMU cannot take background (copy-on-write) snapshots here: "
                        + e.getMessage(), e);
            }
            throw e;
        }
    }

    static ArrayNode caps(boolean background, boolean pauseBeforeSwitchover) {
        ArrayNode a = JSON.createArrayNode();
        a.addObject().put("capability", "events").put("state", true);
        a.addObject().put("capability", "background-snapshot").put("state", background);
        a.addObject().put("capability", "pause-before-switchover").put("state", pauseBeforeSwitchover);
        return a;
    }

    private void setParameters(Duration downtimeLimit) throws QmpException {
        ObjectNode p = QmpClient.args().put("max-bandwidth", req.maxBandwidth() > 0 ? req.maxBandwidth() : DEFAULT_BANDWIDTH);
        if (downtimeLimit != null) {
            p.put("downtime-limit", downtimeLimit.toMillis());
        }
        vm.qmp.execute("migrate-set-parameters", p, cfg.commandTimeout());
    }

    private void pauseNow() throws QmpException {
        hostPausedNanos = System.nanoTime();
        vm.qmp.execute("stop", null, cfg.commandTimeout());
    }

    /**
     * Resumes the VM. QEMU reports a migration completed slightly before its clean-up has run and refuses
     * {@code cont} until then, so that refusal is retried briefly.
     */
    private void resumeNow() throws QmpException {
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                vm.qmp.execute("cont", null, cfg.commandTimeout());
                hostResumedNanos = System.nanoTime();
                return;
            } catch (QmpException e) {
                if (!e.getMessage().contains("not finalized") || System.nanoTime() > until) {
                    throw e;
                }
                QemuDriver.sleep(1);
            }
        }
    }

    private void startMigration() throws QmpException {
        vm.qmp.execute("migrate", QmpClient.args().put("uri", uri(vm.version, req.memoryImage(), true)), cfg.commandTimeout());
    }

    /**
     * The migration URI for a memory image: QEMU >= 8.2 writes the file itself ({@code file:}), so the file
     * is complete when QEMU says so; older QEMU pipes through cat.
     */
    static String uri(QemuVersion v, Path image, boolean outgoing) {
        String path = image.toAbsolutePath().toString();
        if (v.compareTo(new QemuVersion(8, 2, 0)) >= 0) {
            return "file:" + path;
        }
        String quoted = "'" + path.replace("'", "'\\''") + "'";
        return outgoing ? "exec:cat > " + quoted : "exec:cat " + quoted;
    }

    /** An overlay file already opened as a block node, waiting to be put on top of its disk. */
    private record PreparedOverlay(DiskSpec disk, String node, Path file) {
    }

    /**
     * Creates and opens every disk's next overlay before the pause, so the pause only switches block
     * nodes instead of creating files.
     */
    private void prepareOverlays() throws QmpException, DriverException {
        if (vm.spec().disks().isEmpty()) {
            return;
        }
        JsonNode nodes = vm.qmp.execute("query-named-block-nodes", QmpClient.args().put("flat", true), cfg.commandTimeout());
        for (DiskSpec d : vm.spec().disks()) {
            String active = vm.activeNode(d.id());
            long size = -1;
            for (JsonNode n : nodes) {
                if (active.equals(n.path("node-name").asText())) {
                    size = n.path("image").path("virtual-size").asLong(-1);
                }
            }
            if (size <= 0) {
                throw new DriverException("cannot find the size of disk " + d.id() + " (block node " + active + ")");
            }
            int seq = vm.nextOverlaySeq();
            Path file = overlays.createOverlay(vm, d, size, seq);
            String node = d.id() + "-s" + seq;
            ObjectNode add = QmpClient.args().put("driver", "qcow2").put("node-name", node);
            add.putNull("backing");
            add.putObject("file").put("driver", "file").put("filename", file.toAbsolutePath().toString());
            vm.qmp.execute("blockdev-add", add, cfg.commandTimeout());
            prepared.add(new PreparedOverlay(d, node, file));
        }
    }

    /** While the VM is paused: every disk continues in its prepared overlay; the old top becomes the snapshot's disk. */
    private void switchDiskOverlays() throws QmpException {
        List<DiskSpec> frozen = new java.util.ArrayList<>();
        for (PreparedOverlay p : prepared) {
            vm.qmp.execute("blockdev-snapshot", QmpClient.args().put("node", vm.activeNode(p.disk().id())).put("overlay", p.node()),
                    cfg.commandTimeout());
            vm.overlayTaken(p.disk().id(), p.node(), p.disk().withImage(p.file(), "qcow2"));
            switched++;
            frozen.add(p.disk());
        }
        frozenSpec = frozenSpec.withDisks(frozen);
    }

    /** Closes and deletes prepared overlays that a failed snapshot never switched to. */
    private void discardUnusedOverlays() {
        for (PreparedOverlay p : prepared.subList(switched, prepared.size())) {
            try {
                if (vm.qmp.isOpen()) {
                    vm.qmp.execute("blockdev-del", QmpClient.args().put("node-name", p.node()), cfg.commandTimeout());
                }
                Files.deleteIfExists(p.file());
            } catch (QmpException | IOException e) {
                LOG.warn("{}: cannot discard unused overlay {}: {}", vm.name(), p.file(), e.getMessage());
            }
        }
    }

    private void callBeforePause() throws HookFailure {
        try {
            req.cut().beforePause(vm.name());
        } catch (Exception e) {
            throw new HookFailure("the cut hook failed before the pause: " + e.getMessage(), e);
        }
    }

    private void callAfterResume() {
        try {
            req.cut().afterResume(vm.name());
        } catch (Exception e) {
            LOG.warn("{}: the cut hook failed after the resume: {}", vm.name(), e.getMessage());
        }
    }

    private void callCut() throws HookFailure {
        Instant paused = firstEvent("STOP", Instant.MIN).map(QmpEvent::timestamp).orElse(Instant.now());
        try {
            req.cut().atCut(vm.name(), paused);
        } catch (Exception e) {
            throw new HookFailure("the cut hook failed: " + e.getMessage(), e);
        }
    }

    /** Polls query-migrate until a target status, reporting progress. */
    private JsonNode awaitMigration(Set<String> targets, long deadline) throws QmpException {
        while (true) {
            JsonNode m = queryMigration();
            String status = m.path("status").asText("none");
            if (targets.contains(status)) {
                if (!"completed".equals(status) || m.path("total-time").asLong() > 0 || System.nanoTime() > deadline) {
                    return m;
                }
            }
            checkAliveAndOnTime(status, deadline);
            awaitChange();
        }
    }

    /** One query-migrate during a wait: {@link #queryMigration}, then QEMU's exit or the deadline end the snapshot. */
    private JsonNode pollMigration(long deadline) throws QmpException {
        JsonNode m = queryMigration();
        checkAliveAndOnTime(m.path("status").asText("none"), deadline);
        return m;
    }

    /** One query-migrate: reports progress; a failed or cancelled migration ends the snapshot. */
    private JsonNode queryMigration() throws QmpException {
        JsonNode m = vm.qmp.execute("query-migrate", null, cfg.commandTimeout());
        String status = m.path("status").asText("none");
        JsonNode ram = m.path("ram");
        if (!ram.isMissingNode()) {
            req.progress().progress(vm.name(), ram.path("transferred").asLong(), ram.path("total").asLong(), status);
        }
        if ("failed".equals(status) || "cancelled".equals(status)) {
            throw new QmpException("MigrationFailed", "saving memory " + status + ": "
                    + m.path("error-desc").asText("no reason given") + "; QEMU: " + vm.qemuLogTail());
        }
        return m;
    }

    private void checkAliveAndOnTime(String status, long deadline) throws QmpException {
        if (!vm.process.isAlive()) {
            throw new QmpException("Closed", "QEMU exited during the snapshot: " + vm.qemuLogTail());
        }
        if (System.nanoTime() > deadline) {
            throw new QmpException("Timeout", "snapshot did not finish within " + req.timeout().toSeconds() + " s (status " + status + ")");
        }
    }

    /** Waits for the next MIGRATION event, or 20 ms. */
    private void awaitChange() throws QmpException {
        try {
            migrationChanged.tryAcquire(20, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("Closed", "interrupted while waiting for the snapshot", e);
        }
    }

    private java.util.Optional<QmpEvent> firstEvent(String name, Instant after) {
        return runEvents.stream().filter(e -> e.name().equals(name) && e.timestamp().isAfter(after)).findFirst();
    }

    /** STOP to RESUME from QEMU's event timestamps; falls back to host timing if an event is missing. */
    private Duration downtime() {
        var stop = firstEvent("STOP", Instant.MIN);
        if (stop.isPresent()) {
            var resume = firstEvent("RESUME", stop.get().timestamp().minusNanos(1));
            if (resume.isPresent()) {
                return Duration.between(stop.get().timestamp(), resume.get().timestamp());
            }
        }
        return Duration.ofNanos(Math.max(0, hostResumedNanos - hostPausedNanos));
    }

    /** Cancels the migration, resumes the VM and turns the cause into a SnapshotFailedException. */
    private DriverException fail(Exception cause) {
        String why = cause.getMessage();
        try {
            Files.deleteIfExists(req.memoryImage());
        } catch (IOException e) {
            LOG.warn("cannot delete the partial image {}", req.memoryImage(), e);
        }
        VmState after = recover();
        discardUnusedOverlays();
        if (cause instanceof QmpException q && "Unsupported".equals(q.errorClass())) {
            return new UnsupportedModeException(why, cause);
        }
        return new SnapshotFailedException(req.mode().name().toLowerCase(java.util.Locale.ROOT) + " snapshot of "
                + vm.name() + " failed: " + why, after, cause);
    }

    private VmState recover() {
        if (!vm.process.isAlive() || !vm.qmp.isOpen()) {
            return VmState.SHUTOFF;
        }
        try {
            JsonNode m = vm.qmp.execute("query-migrate", null, cfg.commandTimeout());
            if (ACTIVE.contains(m.path("status").asText())) {
                vm.qmp.execute("migrate_cancel", null, cfg.commandTimeout());
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (System.nanoTime() < until
                        && ACTIVE.contains(vm.qmp.execute("query-migrate", null, cfg.commandTimeout()).path("status").asText())) {
                    QemuDriver.sleep(20);
                }
            }
            String run = vm.qmp.execute("query-status", null, cfg.commandTimeout()).path("status").asText();
            if (!"running".equals(run)) {
                resumeNow();
                LOG.warn("{}: resumed after a failed snapshot (it was {})", vm.name(), run);
            }
        } catch (QmpException e) {
            LOG.error("{}: could not resume after a failed snapshot: {}", vm.name(), e.getMessage());
        }
        return vm.state(cfg.commandTimeout());
    }

    /** The caller's cut hook threw; kept apart so its message is reported as the hook's. */
    private static final class HookFailure extends Exception {
        private static final long serialVersionUID = 1L;

        HookFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
