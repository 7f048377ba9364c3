package net.vnsnap.host.driver.xen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.RawDisks;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.driver.xen.XenErrors.Operation;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One snapshot of one domU, VNsnap's way: {@code libxl_domain_suspend} to the image (live: pre-copy while the domain
 * runs; stop: suspend first) behind an xl save-file header, the disks copied while the domain is suspended, then
 * {@code libxl_domain_resume} with suspend_cancel so the guest continues where it was. A watcher thread polls the
 * domain state and calls the cut hook the moment the domain is seen suspended (libxl offers no hook at its final
 * stop-and-copy); on any failure the domain is resumed.
 */
final class XenSnapshot {
    private static final Logger LOG = LogManager.getLogger(XenSnapshot.class);
    /** How often the watcher reports the image size as progress. */
    private static final long PROGRESS_EVERY_NANOS = Duration.ofMillis(250).toNanos();

    private final Libxl libxl;
    private final XenDomain dom;
    private final SnapshotRequest req;
    private final XenConfig cfg;
    private final Clock clock;
    private final String version;
    private final Map<String, Duration> phases = new LinkedHashMap<>();
    private final List<Path> diskCopies = new ArrayList<>();
    private long phaseStart;

    XenSnapshot(Libxl libxl, XenDomain dom, SnapshotRequest req, XenConfig cfg, Clock clock, String version) {
        this.libxl = libxl;
        this.dom = dom;
        this.req = req;
        this.cfg = cfg;
        this.clock = clock;
        this.version = version;
    }

    SnapshotResult run() throws DriverException {
        long t0 = System.nanoTime();
        Path image = req.memoryImage();
        if (Files.exists(image)) {
            throw new DriverException("memory image " + image + " already exists");
        }
        boolean live = req.mode() == SnapshotMode.LIVE;
        long ram = dom.spec.memoryMiB() * 1024L * 1024L;
        phaseStart = t0;
        int fd = -1;
        Watcher watcher = null;
        boolean suspendCalled = false;
        try {
            String config = libxl.savedConfigJson(dom.domid);
            byte[] header = XlSaveHeader.encode(config);
            int seq = dom.nextSnapshotSeq();
            fd = libxl.openForWrite(image);
            libxl.writeFully(fd, header);
            phase("configure");
            if (!live) {
                try {
                    req.cut().beforePause(dom.name);
                } catch (Exception e) {
                    throw new HookFailure("the cut hook failed before the pause: " + e.getMessage(), e);
                }
            }
            // Live: libxl asks the guest to suspend by itself after its last pass. A frame that reaches the guest's
            // vif once the guest is suspending waits in dom0's queues or in a ring the restored netfront discards,
            // so the switch holds the domain's frames from that request (libxl writes "suspend" to the domain's
            // control/shutdown node). Without a xenstore watch the hold starts at the end of the first pass (all of
            // RAM written), when only the short passes over dirtied pages remain.
            XenStoreWatch request = live ? suspendRequestWatch() : null;
            watcher = new Watcher(image, header.length, ram, live && request == null ? header.length + ram : -1, request);
            watcher.start();
            suspendCalled = true;
            libxl.suspend(dom.domid, fd, live);
            long suspendReturned = System.nanoTime();
            watcher.finish();
            phase(live ? "pre-copy-and-final-copy" : "save");
            if (watcher.pausedNanos == 0) {
                // The save finished between two polls: the domain is still suspended, so the cut is taken now.
                watcher.pausedNanos = suspendReturned;
                watcher.pausedAt = clock.instant();
                watcher.startHold("the save ended");
                watcher.callHook();
            }
            if (watcher.hookError != null) {
                throw watcher.hookError;
            }
            libxl.syncAndClose(fd);
            fd = -1;
            List<DiskSpec> frozen = new ArrayList<>();
            for (DiskSpec d : dom.spec.disks()) {
                Path copy = cfg.runDirectory().resolve(dom.name).resolve(d.id() + "-s" + seq + ".raw");
                diskCopies.add(copy);
                RawDisks.copy(d.image(), copy);
                frozen.add(d.withImage(copy, "raw"));
            }
            phase("disk-copy");
            libxl.resume(dom.domid, true);
            long resumed = System.nanoTime();
            phase("resume");
            try {
                req.cut().afterResume(dom.name);
            } catch (Exception e) {
                // The cut is taken: the switch's hold is its own business from here, so this is logged, not fatal.
                LOG.warn("{}: the cut hook failed after the resume: {}", dom.name, e.getMessage());
            }
            long written = Files.size(image);
            req.progress().progress(dom.name, written - header.length, ram, "completed");
            VmSpec frozenSpec = dom.spec.withDisks(frozen);
            return new SnapshotResult(req.mode(), watcher.pausedAt, Duration.ofNanos(resumed - watcher.pausedNanos),
                    Duration.ofNanos(System.nanoTime() - t0), written, ram, frozenSpec, "xen-" + version, phases);
        } catch (LibxlException | IOException | HookFailure | RuntimeException e) {
            if (watcher != null) {
                watcher.finish();
            }
            libxl.closeQuietly(fd);
            throw fail(e, suspendCalled);
        }
    }

    /** A watch on the node libxl writes to ask the guest to suspend; null (logged) where xenstore cannot be watched. */
    private XenStoreWatch suspendRequestWatch() {
        String path = "/local/domain/" + dom.domid + "/control/shutdown";
        try {
            return libxl.watch(path, "vnsnap-suspend-" + dom.domid);
        } catch (LibxlException e) {
            LOG.warn("{}: cannot watch {} ({}); frames are held from the end of the first pass instead", dom.name, path, e.getMessage());
            return null;
        }
    }

    private void phase(String name) {
        long now = System.nanoTime();
        phases.put(name, Duration.ofNanos(now - phaseStart));
        phaseStart = now;
    }

    /** Deletes the partial image and disk copies, makes the domain run again, and reports the failure. */
    private DriverException fail(Exception cause, boolean suspendCalled) {
        try {
            Files.deleteIfExists(req.memoryImage());
            for (Path p : diskCopies) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("{}: cannot delete a partial snapshot file: {}", dom.name, e.getMessage());
        }
        VmState after = suspendCalled ? recover() : VmState.RUNNING;
        if (cause instanceof LibxlException le) {
            return XenErrors.toDriver(le, Operation.SNAPSHOT, dom.name, after);
        }
        return new SnapshotFailedException(req.mode().name().toLowerCase(Locale.ROOT) + " snapshot of " + dom.name + " failed: "
                + cause.getMessage(), after, cause);
    }

    /** Resumes a domain a failed save left suspended (or unpauses one left paused). */
    private VmState recover() {
        try {
            var info = libxl.info(dom.domid);
            if (info.isEmpty() || info.get().dying()) {
                return VmState.SHUTOFF;
            }
            if (info.get().suspended()) {
                libxl.resume(dom.domid, true);
                LOG.warn("{}: resumed after a failed snapshot", dom.name);
            } else if (info.get().paused()) {
                libxl.unpause(dom.domid);
                LOG.warn("{}: unpaused after a failed snapshot", dom.name);
            }
            var now = libxl.info(dom.domid);
            return now.map(i -> XenDriver.stateOf(dom, i)).orElse(VmState.SHUTOFF);
        } catch (LibxlException e) {
            LOG.error("{}: could not resume after a failed snapshot: {}", dom.name, e.getMessage());
            return VmState.CRASHED;
        }
    }

    /**
     * Polls the domain while libxl saves it: at the first poll that finds it suspended, records the instant and calls
     * the cut hook (libxl is then copying the last dirty pages); reports the image size as progress.
     */
    private final class Watcher extends Thread {
        private final Path image;
        private final long headerBytes;
        private final long ram;
        /** Image size (with the header) from which a live save holds the domain's frames; -1 when the caller holds them. */
        private final long holdFromBytes;
        /** Whether {@code beforePause} was called (or is the caller's business); written by one thread at a time. */
        private volatile boolean holding;
        private volatile boolean done;
        /** Set once, by this thread or (if it never saw the suspension) by the snapshot thread after it joined this one. */
        volatile long pausedNanos;
        volatile Instant pausedAt;
        volatile HookFailure hookError;

        /** Live mode: the domain's control/shutdown node, whose change is libxl's suspend request; null without one. */
        private final XenStoreWatch request;

        Watcher(Path image, long headerBytes, long ram, long holdFromBytes, XenStoreWatch request) {
            super("xen-snapshot-watch-" + dom.name);
            setDaemon(true);
            this.image = image;
            this.headerBytes = headerBytes;
            this.ram = ram;
            this.holdFromBytes = holdFromBytes;
            this.request = request;
            // Stop mode: the caller holds the frames before it pauses the domain.
            this.holding = req.mode() != SnapshotMode.LIVE;
        }

        /**
         * Live mode: calls {@code beforePause} once, when libxl asks the guest to suspend (or, without a watch, at the
         * end of the first pass), at the latest before the cut.
         */
        void startHold(String why) {
            if (holding) {
                return;
            }
            holding = true;
            LOG.info("{}: holding the frames to the domain from now, {} (image {} of {} bytes of RAM)", dom.name, why, imageBytes(), ram);
            try {
                req.cut().beforePause(dom.name);
            } catch (Exception e) {
                hookError = new HookFailure("the cut hook failed before the pause: " + e.getMessage(), e);
            }
        }

        @Override
        public void run() {
            long nextProgress = System.nanoTime();
            while (!done) {
                try {
                    var info = libxl.info(dom.domid);
                    if (info.isPresent() && info.get().suspended()) {
                        pausedNanos = System.nanoTime();
                        pausedAt = clock.instant();
                        startHold("the domain is suspended");
                        callHook();
                        return;
                    }
                    if (!holding && request != null && request.changes() > 0) {
                        startHold("libxl asked the guest to suspend");
                    }
                    if (!holding && holdFromBytes >= 0 && Files.size(image) >= holdFromBytes) {
                        startHold("the first pass is written");
                    }
                } catch (LibxlException | IOException e) {
                    LOG.debug("{}: state poll failed during the snapshot: {}", dom.name, e.getMessage());
                }
                long now = System.nanoTime();
                if (now >= nextProgress) {
                    nextProgress = now + PROGRESS_EVERY_NANOS;
                    try {
                        req.progress().progress(dom.name, Math.max(0, Files.size(image) - headerBytes), ram, "active");
                    } catch (IOException e) {
                        LOG.debug("{}: cannot read the image size: {}", dom.name, e.getMessage());
                    }
                }
                LockSupport.parkNanos(cfg.watchInterval().toNanos());
            }
        }

        private long imageBytes() {
            try {
                return Files.size(image);
            } catch (IOException e) {
                return -1;
            }
        }

        void callHook() {
            try {
                for (var r : dom.relays) {
                    var waiting = r.undeliveredAtCut();
                    if (!waiting.frames().isEmpty()) {
                        String nic = r.name().substring(dom.name.length() + 1);
                        LOG.info("{}: {} frame(s) to NIC {} unprocessed in the guest's receive ring and {} still in dom0's queues at"
                                + " the cut: recorded as channel state", dom.name, waiting.inRing(), nic, waiting.inQueues());
                        req.cut().undeliveredAtCut(dom.name, nic, waiting.frames());
                    }
                }
                req.cut().atCut(dom.name, pausedAt);
            } catch (Exception e) {
                hookError = new HookFailure("the cut hook failed: " + e.getMessage(), e);
            }
        }

        /** Stops polling, waits for a hook call in progress and drops the xenstore watch. */
        void finish() {
            done = true;
            try {
                join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (request != null) {
                    request.close();
                }
            }
        }
    }

    /** The caller's cut hook threw; kept apart so its message is reported as the hook's. */
    private static final class HookFailure extends Exception {
        private static final long serialVersionUID = 1L;

        HookFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
