package net.vnsnap.am.snapshot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.SnapshotProgress;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Takes, restores and deletes consistent slice snapshots by driving every host through prepare, a common cut, and commit or abort. */
public final class SnapshotCoordinator implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(SnapshotCoordinator.class);

    private final Clock clock;
    private final HostCalls calls;
    /** The same directory the host calls use; a restore that moves VMs needs two agents at once. */
    private final HostDirectory directory;
    private final SnapshotCatalog catalog;
    private final Supplier<String> ids;
    private final CoordinatorSettings settings;
    /**
     * One thread per running snapshot ({@link #start} returns at once); they mostly wait on host calls, which they
     * fan out to the injected executor, so the pool is unbounded.
     */
    private final ExecutorService drivers;

    /** Guards only which slices are busy and which snapshots run; catalog and host calls are made without it. */
    private final Object lock = new Object();
    /** Slice to the operation occupying it, e.g. "snapshot s-12". @GuardedBy("lock") */
    private final Map<String, String> busySlices = new HashMap<>();
    /** Snapshots this instance is driving now. @GuardedBy("lock") */
    private final Map<String, SnapshotHandle> running = new HashMap<>();
    /** @GuardedBy("lock") */
    private boolean closed;

    /**
     * @param clock     wall clock for timestamps and for the common cut and resume instants
     * @param hostCalls runs the parallel host calls; should allow at least one thread per host
     * @param hosts     finds each host's agent
     * @param catalog   where snapshots and epochs are remembered
     * @param ids       makes snapshot ids, unique for the catalog's lifetime
     * @param settings  timeouts and lead times
     */
    public SnapshotCoordinator(Clock clock, Executor hostCalls, HostDirectory hosts, SnapshotCatalog catalog,
            Supplier<String> ids, CoordinatorSettings settings) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.directory = Objects.requireNonNull(hosts, "hosts");
        this.calls = new HostCalls(hosts, Objects.requireNonNull(hostCalls, "hostCalls"), clock);
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.ids = Objects.requireNonNull(ids, "ids");
        this.settings = Objects.requireNonNull(settings, "settings");
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "vnsnap-snapshot-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.drivers = Executors.newCachedThreadPool(tf);
    }

    // ================================================================ public API

    /**
     * Records a new snapshot of the slice (PREPARING, with a fresh epoch) and starts taking it in the
     * background. Refuses a malformed request and a slice that is already being snapshotted or restored.
     */
    public SnapshotHandle start(SliceSnapshotRequest request) throws SnapshotException {
        String problem = request.problem();
        if (problem != null) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.INVALID_REQUEST, "", "", problem));
        }
        String id = ids.get();
        String what = "snapshot " + id;
        occupy(request.slice(), what);
        SnapshotHandle handle;
        try {
            int epoch = catalog.nextEpoch(request.slice(), 0);
            List<VmEntry> vms = new ArrayList<>();
            request.vmsByHost().forEach((host, names) -> names.forEach(vm -> vms.add(VmEntry.planned(vm, host))));
            SliceSnapshotRecord rec = catalog.create(SliceSnapshotRecord.preparing(id, request.slice(), request.label(), epoch,
                    request.mode(), request.includeDisk(), clock.instant(), vms));
            handle = new SnapshotHandle(rec);
            synchronized (lock) {
                running.put(id, handle);
            }
            drivers.execute(() -> drive(handle, request));
        } catch (CatalogException e) {
            release(request.slice(), what);
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        } catch (RejectedExecutionException e) {
            release(request.slice(), what);
            synchronized (lock) {
                running.remove(id);
            }
            throw new SnapshotException(new SnapshotError(SnapshotFailure.SHUT_DOWN, "", "", "the coordinator is closed"), e);
        }
        return handle;
    }

    /** The handle of a snapshot this coordinator is driving now. */
    public Optional<SnapshotHandle> handle(String snapshotId) {
        synchronized (lock) {
            return Optional.ofNullable(running.get(snapshotId));
        }
    }

    /** Progress of a snapshot: live figures while this coordinator drives it, else from the catalog. */
    public SliceProgress progress(String snapshotId) throws SnapshotException {
        Optional<SnapshotHandle> h = handle(snapshotId);
        if (h.isPresent()) {
            return h.get().progress();
        }
        SliceSnapshotRecord r = find(snapshotId);
        return new SliceProgress(r.id(), r.state(), r.totalBytes(), r.totalBytes());
    }

    /** The catalog record of a snapshot; UNKNOWN_SNAPSHOT when there is none. */
    public SliceSnapshotRecord snapshot(String snapshotId) throws SnapshotException {
        return find(snapshotId);
    }

    /** The slice's snapshots, oldest first. */
    public List<SliceSnapshotRecord> snapshots(String slice) throws SnapshotException {
        try {
            return catalog.list(slice);
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
    }

    /**
     * Restores the slice to a COMPLETE snapshot: every host loads its VMs paused in parallel, then all resume
     * at one common instant. The slice continues in a new epoch above every epoch it has used. Works whether
     * or not the original VMs still exist (hosts replace VMs of the same name).
     */
    public RestoreReport restore(String snapshotId) throws SnapshotException {
        return restore(snapshotId, Map.of());
    }

    /**
     * Restores the snapshot with some VMs on other hosts: {@code placement} maps a VM name to the host it is to run on;
     * VMs not listed are restored on the host they were snapshotted on. A target must be known, answer, run the same
     * hypervisor and version as the VM's snapshot host, have room under its VM limit and reach the VM's images;
     * otherwise the call is refused (INVALID_REQUEST, UNKNOWN_HOST, HOST_UNREACHABLE, HYPERVISOR_MISMATCH, TARGET_FULL,
     * IMAGES_UNREACHABLE, IMPORT_FAILED) before any VM or epoch changes. The moved VMs' parts are copied to their targets (checksummed), their links get segments and
     * tunnels there, and any copy of a snapshot VM still running on another host than its target is destroyed.
     */
    public RestoreReport restore(String snapshotId, Map<String, String> placement) throws SnapshotException {
        Objects.requireNonNull(placement, "placement");
        SliceSnapshotRecord rec = find(snapshotId);
        if (rec.state() != SliceSnapshotState.COMPLETE) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.NOT_RESTORABLE, "", "",
                    "snapshot " + snapshotId + " is " + rec.state() + "; only COMPLETE snapshots can be restored"));
        }
        occupy(rec.slice(), "restore of " + snapshotId);
        try {
            // Re-read under the slice's claim: a deletion may have finished between the check and the claim.
            SliceSnapshotRecord now = find(snapshotId);
            if (now.state() != SliceSnapshotState.COMPLETE) {
                throw new SnapshotException(new SnapshotError(SnapshotFailure.NOT_RESTORABLE, "", "",
                        "snapshot " + snapshotId + " is " + now.state() + "; only COMPLETE snapshots can be restored"));
            }
            return doRestore(now, new LinkedHashMap<>(placement));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SnapshotException(new SnapshotError(SnapshotFailure.SHUT_DOWN, "", "", "interrupted during restore"), e);
        } finally {
            release(rec.slice(), "restore of " + snapshotId);
        }
    }

    /**
     * Deletes a COMPLETE or FAILED snapshot's files on every host, then marks it DELETED; deleting a DELETED
     * snapshot does nothing. When a host cannot delete, the call fails with DELETE_FAILED naming the host and
     * the record keeps its state, so the deletion can be repeated.
     */
    public SliceSnapshotRecord delete(String snapshotId) throws SnapshotException {
        SliceSnapshotRecord rec = find(snapshotId);
        if (rec.state() == SliceSnapshotState.DELETED) {
            return rec;
        }
        if (rec.state().inProgress()) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.SLICE_BUSY, "", "", "snapshot " + snapshotId
                    + " is " + rec.state() + "; wait for it to finish (or run resolveAfterRestart after an AM restart)"));
        }
        occupy(rec.slice(), "deletion of " + snapshotId);
        try {
            return deleteClaimed(find(snapshotId));
        } finally {
            release(rec.slice(), "deletion of " + snapshotId);
        }
    }

    /** Deletion once the slice is claimed, on the record as read under the claim. */
    private SliceSnapshotRecord deleteClaimed(SliceSnapshotRecord rec) throws SnapshotException {
        String snapshotId = rec.id();
        if (rec.state() == SliceSnapshotState.DELETED) {
            return rec;
        }
        try {
            Map<String, HostCalls.Outcome<Boolean>> out = calls.onEach(rec.hosts(), settings.callTimeout(),
                    HostCalls.retriedOnce((h, a) -> {
                        if (rec.state() == SliceSnapshotState.FAILED) {
                            a.abortSnapshot(snapshotId);
                        }
                        a.deleteSnapshot(snapshotId);
                        return true;
                    }));
            HostCalls.Outcome<Boolean> bad = firstError(out);
            if (bad != null) {
                SnapshotError err = errorFrom(SnapshotFailure.DELETE_FAILED, bad, rec.vmsOn(bad.host()));
                throw new SnapshotException(err);
            }
            // Parts copied to other hosts by restores that moved VMs: best effort, the catalog does not list them.
            Set<String> others = new java.util.TreeSet<>(directory.hostIds());
            others.removeAll(rec.hosts());
            if (rec.state() == SliceSnapshotState.COMPLETE && !others.isEmpty()) {
                calls.onEach(others, settings.callTimeout(), (h, a) -> {
                    a.deleteSnapshot(snapshotId);
                    return true;
                }).values().stream().filter(o -> !o.ok()).forEach(o -> LOG.warn("snapshot {}: cannot delete a copy on {}: {}",
                        snapshotId, o.host(), o.error().getMessage()));
            }
            return catalog.update(rec.withState(SliceSnapshotState.DELETED, clock.instant()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SnapshotException(new SnapshotError(SnapshotFailure.SHUT_DOWN, "", "", "interrupted during deletion"), e);
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
    }

    /**
     * Settles every snapshot an earlier coordinator left PREPARING, TAKING or COMMITTING: if every host holds it
     * complete it becomes COMPLETE, otherwise it is aborted on every host and marked FAILED. Call once at AM start,
     * before taking new snapshots; snapshots this instance is driving are left alone.
     */
    public List<Resolution> resolveAfterRestart() throws SnapshotException {
        List<SliceSnapshotRecord> open;
        try {
            open = catalog.unfinished();
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
        List<Resolution> out = new ArrayList<>();
        for (SliceSnapshotRecord rec : open) {
            synchronized (lock) {
                if (running.containsKey(rec.id())) {
                    continue;
                }
            }
            occupy(rec.slice(), "recovery of " + rec.id());
            try {
                out.add(resolve(rec));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SnapshotException(new SnapshotError(SnapshotFailure.SHUT_DOWN, "", "", "interrupted during recovery"), e);
            } catch (CatalogException e) {
                throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
            } finally {
                release(rec.slice(), "recovery of " + rec.id());
            }
        }
        return out;
    }

    /**
     * Stops driving running snapshots without deciding them: they stay in their catalog state, and their handles
     * complete exceptionally, until {@link #resolveAfterRestart} on the next start. Does not close the catalog.
     */
    @Override
    public void close() {
        List<SnapshotHandle> abandoned;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            abandoned = List.copyOf(running.values());
        }
        drivers.shutdownNow();
        try {
            drivers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SnapshotHandle h : abandoned) {
            h.abandon("coordinator closed while the snapshot was " + h.state());
        }
    }

    // ================================================================ snapshot driver

    /** Thrown inside the driver when the coordinator closed under it: nothing more is written anywhere. */
    private static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;
    }

    /** Thrown inside the driver to end the snapshot as FAILED. */
    private static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SnapshotError error;

        Failed(SnapshotError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }

    /** The mutable state of one snapshot run, confined to its driver thread. */
    private final class Run {
        final SnapshotHandle handle;
        final SliceSnapshotRequest req;
        final String id;
        SliceSnapshotRecord rec;

        Run(SnapshotHandle handle, SliceSnapshotRequest req) {
            this.handle = handle;
            this.req = req;
            this.id = handle.snapshotId();
            this.rec = handle.record();
        }

        void save(UnaryOperator<SliceSnapshotRecord> change) throws CatalogException, Abandoned {
            checkOpen();
            rec = catalog.update(change.apply(rec));
            handle.stored(rec);
        }

        void to(SliceSnapshotState state) throws CatalogException, Abandoned {
            Instant now = clock.instant();
            save(r -> r.withState(state, now));
        }
    }

    private void drive(SnapshotHandle handle, SliceSnapshotRequest req) {
        Run run = new Run(handle, req);
        SnapshotError error = null;
        boolean abandoned = false;
        try {
            try {
                takeAll(run);
            } catch (Failed f) {
                error = fail(run, f.error);
            } catch (CatalogException e) {
                error = fail(run, new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()));
            } catch (RuntimeException e) {
                LOG.error("snapshot {} failed unexpectedly", run.id, e);
                error = fail(run, new SnapshotError(SnapshotFailure.TAKE_FAILED, "", "", "coordinator error: " + e));
            }
        } catch (Abandoned | InterruptedException e) {
            abandoned = true;
            LOG.info("snapshot {} abandoned in state {}: coordinator closed", run.id, run.rec.state());
        } catch (RuntimeException e) {
            // The failure path itself broke (e.g. the host-call executor refused work): report, never hang the handle.
            LOG.error("snapshot {}: cleanup failed", run.id, e);
            error = new SnapshotError(SnapshotFailure.TAKE_FAILED, "", "", "coordinator error during cleanup: " + e);
            if (run.rec.state() != SliceSnapshotState.FAILED) {
                run.rec = run.rec.failed(error.message(), clock.instant());
            }
        } finally {
            // Free the slice before anyone waiting on the handle learns the outcome, so they can start the next one.
            synchronized (lock) {
                running.remove(run.id);
            }
            release(req.slice(), "snapshot " + run.id);
        }
        if (abandoned) {
            handle.abandon("coordinator closed while the snapshot was " + run.rec.state());
        } else {
            handle.finish(run.rec, error);
        }
    }

    /** Phase one, phase two and commit; returns normally only when every host committed. */
    private void takeAll(Run run) throws Failed, CatalogException, Abandoned, InterruptedException {
        SliceSnapshotRequest req = run.req;
        Map<String, List<String>> byHost = req.vmsByHost();

        // ---- phase 1: prepare everywhere; one "no" aborts everywhere
        Map<String, HostCalls.Outcome<PrepareResult>> prep = calls.onEach(byHost.keySet(), settings.callTimeout(),
                (h, a) -> a.prepareSnapshot(new SnapshotPlan(run.id, req.slice(), run.rec.epoch(), req.mode(), req.includeDisk(),
                        byHost.get(h))));
        checkOpen();
        List<String> refusals = new ArrayList<>();
        SnapshotError firstRefusal = null;
        for (HostCalls.Outcome<PrepareResult> o : prep.values()) {
            SnapshotError e = null;
            if (!o.ok()) {
                SnapshotFailure kind = o.error().reason() == HostException.Reason.UNREACHABLE
                        ? SnapshotFailure.HOST_UNREACHABLE : SnapshotFailure.PREPARE_REFUSED;
                e = errorFrom(kind, o, byHost.get(o.host()));
            } else if (!o.value().ready()) {
                String why = String.join("; ", o.value().problems());
                if (why.isEmpty()) {
                    why = "not ready (needs " + o.value().requiredBytes() + " bytes, " + o.value().freeBytes() + " free)";
                }
                e = new SnapshotError(SnapshotFailure.PREPARE_REFUSED, o.host(), vmIn(why, byHost.get(o.host())), why);
            }
            if (e != null) {
                refusals.add(e.message());
                if (firstRefusal == null) {
                    firstRefusal = e;
                }
            }
        }
        if (firstRefusal != null) {
            throw new Failed(new SnapshotError(firstRefusal.failure(), firstRefusal.host(), firstRefusal.vm(),
                    refusals.size() == 1 ? firstRefusal.detail() : firstRefusal.detail() + " (all refusals: "
                            + String.join(" | ", refusals) + ")"));
        }

        // ---- phase 2: take, cutting at one common instant (cow, stop) or at once (live)
        run.to(SliceSnapshotState.TAKING);
        Instant cutAt = null;
        if (req.mode() != SnapshotMode.LIVE) {
            Map<String, HostCalls.Outcome<Object>> pings = ping(byHost.keySet());
            HostCalls.Outcome<Object> silent = firstError(pings);
            if (silent != null) {
                // No VM has paused yet: better to stop here than to cut with a host that may miss the instant.
                throw new Failed(errorFrom(SnapshotFailure.HOST_UNREACHABLE, silent, byHost.get(silent.host())));
            }
            cutAt = clock.instant().plus(settings.leadFor(slowest(pings)));
        }
        Instant cut = cutAt;
        Map<String, CompletableFuture<HostCalls.Outcome<List<VmCut>>>> takes = new LinkedHashMap<>();
        for (String h : byHost.keySet()) {
            takes.put(h, calls.start(h, (hh, a) -> a.takeSnapshot(run.id, cut)));
        }
        Map<String, HostCalls.Outcome<List<VmCut>>> taken = awaitTakes(run, takes);
        checkOpen();
        List<VmEntry> entries = new ArrayList<>();
        for (HostCalls.Outcome<List<VmCut>> o : taken.values()) {
            List<String> planned = byHost.get(o.host());
            if (!o.ok()) {
                SnapshotFailure kind = o.timedOut() ? SnapshotFailure.TIMED_OUT
                        : o.error().reason() == HostException.Reason.UNREACHABLE ? SnapshotFailure.HOST_UNREACHABLE
                        : SnapshotFailure.TAKE_FAILED;
                throw new Failed(errorFrom(kind, o, planned));
            }
            Map<String, VmCut> byVm = new HashMap<>();
            for (VmCut c : o.value()) {
                byVm.put(c.vm(), c);
            }
            for (String vm : planned) {
                VmCut c = byVm.get(vm);
                if (c == null || c.cutAt() == null) {
                    throw new Failed(new SnapshotError(SnapshotFailure.TAKE_FAILED, o.host(), vm, "the host returned no cut for this VM"));
                }
                entries.add(new VmEntry(vm, o.host(), c.cutAt(), c.downtime(), c.memoryBytes(), c.diskBytes()));
            }
        }
        Map<String, List<VmCut>> cutsByHost = new LinkedHashMap<>();
        taken.values().forEach(o -> cutsByHost.put(o.host(), o.value()));
        run.handle.taken(cut, cutsByHost);
        Duration skew = skew(entries);
        Instant now = clock.instant();
        run.save(r -> r.withCuts(entries, skew).withState(SliceSnapshotState.COMMITTING, now));

        // ---- commit everywhere; complete only when every host committed
        Map<String, HostCalls.Outcome<HostSnapshot>> commits = calls.onEach(byHost.keySet(), settings.callTimeout(),
                (h, a) -> a.commitSnapshot(run.id));
        checkOpen();
        HostCalls.Outcome<HostSnapshot> bad = firstError(commits);
        if (bad != null) {
            SnapshotFailure kind = bad.error().reason() == HostException.Reason.UNREACHABLE
                    ? SnapshotFailure.HOST_UNREACHABLE : SnapshotFailure.COMMIT_FAILED;
            throw new Failed(errorFrom(kind, bad, byHost.get(bad.host())));
        }
        long bytes = 0;
        long held = 0;
        long recorded = 0;
        long dropped = 0;
        for (HostCalls.Outcome<HostSnapshot> o : commits.values()) {
            HostSnapshot s = o.value();
            if (s == null || !s.complete()) {
                throw new Failed(new SnapshotError(SnapshotFailure.COMMIT_FAILED, o.host(), "", "the host did not report the snapshot complete"));
            }
            bytes += s.bytes();
            held += s.framesHeld();
            recorded += s.framesRecorded();
            dropped += s.framesDropped();
        }
        long b = bytes;
        long hd = held;
        long rc = recorded;
        long dr = dropped;
        Instant fin = clock.instant();
        run.save(r -> r.withTotals(b, hd, rc, dr).withState(SliceSnapshotState.COMPLETE, fin));
    }

    /** Waits for every host's take, polling progress meanwhile; hosts still busy at the take timeout are unreachable. */
    private Map<String, HostCalls.Outcome<List<VmCut>>> awaitTakes(Run run,
            Map<String, CompletableFuture<HostCalls.Outcome<List<VmCut>>>> takes) throws InterruptedException, Abandoned {
        long deadline = System.nanoTime() + settings.takeTimeout().toNanos();
        CompletableFuture<Void> all = CompletableFuture.allOf(takes.values().toArray(CompletableFuture[]::new));
        Map<String, SnapshotProgress> last = new ConcurrentHashMap<>();
        Map<String, CompletableFuture<?>> polling = new HashMap<>();
        // A poll answering after the takes ended would otherwise replace the final figures with older ones.
        AtomicBoolean ended = new AtomicBoolean();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                all.get(Math.min(left, settings.pollInterval().toNanos()), TimeUnit.NANOSECONDS);
                break;
            } catch (TimeoutException t) {
                checkOpen();
                for (String h : takes.keySet()) {
                    CompletableFuture<?> p = polling.get(h);
                    if (p == null || p.isDone()) {
                        polling.put(h, calls.start(h, (hh, a) -> a.progress(run.id)).thenAccept(o -> {
                            if (o.ok() && o.value() != null && !ended.get()) {
                                last.put(h, o.value());
                                // Until every host has answered, a sum would miss their expected bytes and could
                                // read 100 % while a host has written nothing yet.
                                if (last.keySet().containsAll(takes.keySet())) {
                                    publishProgress(run.handle, last);
                                }
                            }
                        }));
                    }
                }
            } catch (ExecutionException e) {
                break; // outcomes never complete exceptionally; collect() below reports it
            }
        }
        Map<String, HostCalls.Outcome<List<VmCut>>> out = calls.collect(takes, deadline, settings.takeTimeout());
        ended.set(true);
        // The hosts' final figures: every byte is written once every take returned.
        for (HostCalls.Outcome<List<VmCut>> o : out.values()) {
            if (o.ok()) {
                long written = o.value().stream().mapToLong(c -> c.memoryBytes() + c.diskBytes()).sum();
                SnapshotProgress p = last.get(o.host());
                long expected = p == null ? written : Math.max(p.bytesExpected(), written);
                last.put(o.host(), new SnapshotProgress(run.id, "taken", written, expected));
            }
        }
        publishProgress(run.handle, last);
        return out;
    }

    private static void publishProgress(SnapshotHandle h, Map<String, SnapshotProgress> perHost) {
        long w = 0;
        long e = 0;
        for (SnapshotProgress p : perHost.values()) {
            w += p.bytesWritten();
            e += p.bytesExpected();
        }
        h.bytes(w, e);
    }

    /**
     * Aborts everywhere, makes sure no VM stays paused, and records FAILED with the error (and any cleanup trouble);
     * returns the error as recorded.
     */
    private SnapshotError fail(Run run, SnapshotError error) throws Abandoned, InterruptedException {
        checkOpen();
        List<String> trouble = cleanUp(run.id, run.req.vmsByHost());
        SnapshotError withCleanup = trouble.isEmpty() ? error : new SnapshotError(error.failure(), error.host(), error.vm(),
                error.detail() + " [cleanup incomplete: " + String.join("; ", trouble) + "]");
        LOG.warn("snapshot {} of {} failed: {}", run.id, run.req.slice(), withCleanup.message());
        Instant now = clock.instant();
        try {
            run.save(r -> r.failed(withCleanup.message(), now));
        } catch (CatalogException e) {
            LOG.error("snapshot {}: could not record FAILED ({}); resolveAfterRestart will settle it", run.id, e.getMessage());
            run.rec = run.rec.failed(withCleanup.message(), now);
        }
        return withCleanup;
    }

    /**
     * Best effort on every host, in parallel: abort (retried once), delete whatever a host may have committed
     * (retried once), then resume any of the snapshot's VMs still paused. Returns what could not be done.
     */
    private List<String> cleanUp(String id, Map<String, List<String>> vmsByHost) throws InterruptedException {
        Map<String, HostCalls.Outcome<List<String>>> out = calls.onEach(vmsByHost.keySet(), settings.callTimeout(), (h, a) -> {
            HostCalls.retriedOnce((hh, aa) -> {
                aa.abortSnapshot(id);
                return null;
            }).call(h, a);
            HostCalls.retriedOnce((hh, aa) -> {
                aa.deleteSnapshot(id);
                return null;
            }).call(h, a);
            List<String> resumed = new ArrayList<>();
            for (String vm : vmsByHost.get(h)) {
                VmInfo info;
                try {
                    info = a.vm(vm);
                } catch (HostException e) {
                    if (e.reason() == HostException.Reason.NO_SUCH_VM) {
                        continue;
                    }
                    throw e;
                }
                if (info.state() == VmState.PAUSED) {
                    a.resumeVm(vm);
                    resumed.add(vm);
                }
            }
            return resumed;
        });
        List<String> trouble = new ArrayList<>();
        for (HostCalls.Outcome<List<String>> o : out.values()) {
            if (!o.ok()) {
                trouble.add("host " + o.host() + ": " + o.error().getMessage());
            } else if (!o.value().isEmpty()) {
                LOG.warn("snapshot {}: host {} left {} paused after abort; resumed them", id, o.host(), o.value());
            }
        }
        return trouble;
    }

    // ================================================================ restore

    /** A VM that the restore runs on another host than the one holding its part. */
    private record Move(String vm, String from, String to) {
    }

    private static SnapshotException refusal(SnapshotFailure kind, String host, String vm, String detail) {
        return new SnapshotException(new SnapshotError(kind, host, vm, detail));
    }

    private RestoreReport doRestore(SliceSnapshotRecord rec, Map<String, String> placement) throws SnapshotException, InterruptedException {
        Instant started = clock.instant();
        String id = rec.id();
        // Where each VM runs after the restore: the snapshot's host unless the placement says otherwise.
        Map<String, String> origin = new LinkedHashMap<>();
        rec.vms().forEach(v -> origin.put(v.vm(), v.host()));
        Map<String, String> target = new LinkedHashMap<>(origin);
        for (Map.Entry<String, String> e : placement.entrySet()) {
            if (!origin.containsKey(e.getKey())) {
                throw refusal(SnapshotFailure.INVALID_REQUEST, "", e.getKey(), "snapshot " + id + " holds no VM " + e.getKey()
                        + "; it holds " + origin.keySet());
            }
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw refusal(SnapshotFailure.INVALID_REQUEST, "", e.getKey(), "no target host given");
            }
            target.put(e.getKey(), e.getValue());
        }
        List<Move> moves = new ArrayList<>();
        target.forEach((vm, h) -> {
            if (!h.equals(origin.get(vm))) {
                moves.add(new Move(vm, origin.get(vm), h));
            }
        });
        Map<String, List<String>> vmsByTarget = new LinkedHashMap<>();
        target.forEach((vm, h) -> vmsByTarget.computeIfAbsent(h, k -> new ArrayList<>()).add(vm));

        // Checks and copies change no VM and no catalog entry: a refusal leaves everything as it was.
        Map<String, SnapshotPart> parts = new LinkedHashMap<>();
        Map<String, HostInfo> infos = new LinkedHashMap<>();
        long copied = 0;
        if (!moves.isEmpty()) {
            Set<String> needed = validateMoves(rec, moves, origin, infos, parts);
            copied = copyParts(id, moves, parts, needed);
        }

        int epoch;
        try {
            // Above every epoch the slice has used, so no frame from before the restore counts as post-cut.
            epoch = catalog.nextEpoch(rec.slice(), rec.epoch());
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
        removeStaleCopies(rec, target);
        if (!moves.isEmpty()) {
            connectNetwork(rec.slice(), target, parts, infos);
        }
        Map<String, HostCalls.Outcome<List<VmInfo>>> loaded = calls.onEach(vmsByTarget.keySet(), settings.restoreTimeout(),
                (h, a) -> moves.isEmpty() ? a.restoreSnapshot(id, epoch) : a.restoreSnapshot(id, epoch, vmsByTarget.get(h)));
        HostCalls.Outcome<List<VmInfo>> bad = firstError(loaded);
        if (bad != null) {
            // A half-restored slice must not run: remove what the other hosts loaded.
            calls.onEach(vmsByTarget.keySet(), settings.callTimeout(), (h, a) -> {
                HostCalls.Outcome<List<VmInfo>> o = loaded.get(h);
                if (o.ok()) {
                    for (VmInfo v : o.value()) {
                        a.destroyVm(v.name());
                    }
                }
                return null;
            });
            SnapshotFailure kind = bad.error().reason() == HostException.Reason.UNREACHABLE
                    ? SnapshotFailure.HOST_UNREACHABLE : SnapshotFailure.RESTORE_FAILED;
            throw new SnapshotException(errorFrom(kind, bad, vmsByTarget.get(bad.host())), bad.error());
        }
        // A host that misses the ping still gets the resume call, which reports it; the lead then is the longest.
        Instant resumeAt = clock.instant().plus(settings.leadFor(slowest(ping(vmsByTarget.keySet()))));
        Map<String, HostCalls.Outcome<List<VmInfo>>> resumed = calls.onEach(vmsByTarget.keySet(), settings.callTimeout(),
                (h, a) -> a.resumeRestored(id, resumeAt));
        HostCalls.Outcome<List<VmInfo>> notResumed = firstError(resumed);
        if (notResumed != null) {
            throw new SnapshotException(errorFrom(SnapshotFailure.RESUME_FAILED, notResumed, vmsByTarget.get(notResumed.host())),
                    notResumed.error());
        }
        Map<String, List<VmInfo>> vms = new LinkedHashMap<>();
        Instant first = null;
        Instant lastAnswer = null;
        for (HostCalls.Outcome<List<VmInfo>> o : resumed.values()) {
            vms.put(o.host(), o.value());
            first = first == null || o.answered().isBefore(first) ? o.answered() : first;
            lastAnswer = lastAnswer == null || o.answered().isAfter(lastAnswer) ? o.answered() : lastAnswer;
        }
        Duration skew = resumeSkew(vms.values());
        if (!moves.isEmpty()) {
            LOG.info("restore of {}: moved {}", id, moves);
        }
        return new RestoreReport(id, rec.slice(), rec.epoch(), epoch, resumeAt, vms, Duration.between(first, lastAnswer),
                Duration.between(started, lastAnswer), skew, target, copied);
    }

    /** Latest minus earliest measured resume instant over every VM; null when any VM's host did not measure it. */
    static Duration resumeSkew(Iterable<List<VmInfo>> perHost) {
        Instant min = null;
        Instant max = null;
        for (List<VmInfo> vs : perHost) {
            for (VmInfo v : vs) {
                if (v.resumedAt() == null) {
                    return null;
                }
                min = min == null || v.resumedAt().isBefore(min) ? v.resumedAt() : min;
                max = max == null || v.resumedAt().isAfter(max) ? v.resumedAt() : max;
            }
        }
        return min == null ? null : Duration.between(min, max);
    }

    /**
     * Refuses a placement before anything changes: every target host must be known and answer, run the hypervisor (and
     * version) of the VM's snapshot host, and accept the import of the VM's part (which checks that it reaches the
     * VM's images and has room). Fills {@code infos} (host to info) and {@code parts} (VM to its part, every VM of the
     * snapshot, for the network). On refusal every import already begun is dropped. Returns the moved VMs whose
     * targets opened an import (the others already hold the part).
     */
    private Set<String> validateMoves(SliceSnapshotRecord rec, List<Move> moves, Map<String, String> origin, Map<String, HostInfo> infos,
            Map<String, SnapshotPart> parts) throws SnapshotException, InterruptedException {
        String id = rec.id();
        Set<String> involved = new java.util.LinkedHashSet<>(origin.values());
        moves.forEach(m -> involved.add(m.to()));
        Map<String, HostCalls.Outcome<HostInfo>> answers = calls.onEach(involved, settings.callTimeout(), (h, a) -> a.info());
        for (Move m : moves) {
            for (String h : List.of(m.to(), m.from())) {
                HostCalls.Outcome<HostInfo> o = answers.get(h);
                if (!o.ok()) {
                    SnapshotFailure kind = o.error().reason() == HostException.Reason.BAD_REQUEST ? SnapshotFailure.UNKNOWN_HOST
                            : SnapshotFailure.HOST_UNREACHABLE;
                    throw new SnapshotException(new SnapshotError(kind, h, m.vm(), o.error().reason() + ": " + o.error().getMessage()), o.error());
                }
            }
            HostInfo src = answers.get(m.from()).value();
            HostInfo dst = answers.get(m.to()).value();
            if (!src.hypervisor().equals(dst.hypervisor()) || !src.hypervisorVersion().equals(dst.hypervisorVersion())) {
                throw refusal(SnapshotFailure.HYPERVISOR_MISMATCH, m.to(), m.vm(), "the snapshot of " + m.vm() + " was taken under "
                        + src.hypervisor() + " " + src.hypervisorVersion() + " on " + m.from() + "; " + m.to() + " runs " + dst.hypervisor()
                        + " " + dst.hypervisorVersion());
            }
        }
        answers.values().stream().filter(HostCalls.Outcome::ok).forEach(o -> infos.put(o.host(), o.value()));
        checkRoom(rec, moves, origin, infos);
        // Every VM's part description: what to copy for the moved ones, the links of all of them for the network.
        Map<String, List<String>> vmsByOrigin = new LinkedHashMap<>();
        origin.forEach((vm, h) -> vmsByOrigin.computeIfAbsent(h, k -> new ArrayList<>()).add(vm));
        Map<String, HostCalls.Outcome<List<SnapshotPart>>> described = calls.onEach(vmsByOrigin.keySet(), settings.callTimeout(), (h, a) -> {
            List<SnapshotPart> out = new ArrayList<>();
            for (String vm : vmsByOrigin.get(h)) {
                out.add(a.snapshotPart(id, vm));
            }
            return out;
        });
        HostCalls.Outcome<List<SnapshotPart>> undescribed = firstError(described);
        if (undescribed != null) {
            SnapshotFailure kind = undescribed.error().reason() == HostException.Reason.UNREACHABLE ? SnapshotFailure.HOST_UNREACHABLE
                    : SnapshotFailure.RESTORE_FAILED;
            throw new SnapshotException(errorFrom(kind, undescribed, vmsByOrigin.get(undescribed.host())), undescribed.error());
        }
        described.values().forEach(o -> o.value().forEach(p -> parts.put(p.vm(), p)));
        Map<String, List<Move>> movesByTarget = new LinkedHashMap<>();
        moves.forEach(m -> movesByTarget.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(m));
        Map<String, HostCalls.Outcome<List<String>>> begun = calls.onEach(movesByTarget.keySet(), settings.callTimeout(), (h, a) -> {
            List<String> opened = new ArrayList<>();
            for (Move m : movesByTarget.get(h)) {
                try {
                    if (a.beginImport(parts.get(m.vm()))) {
                        opened.add(m.vm());
                    }
                } catch (HostException e) {
                    for (String vm : opened) {
                        abortQuietly(a, id, vm);
                    }
                    throw new HostException(e.reason(), m.vm() + ": " + e.getMessage(), e);
                }
            }
            return opened;
        });
        HostCalls.Outcome<List<String>> refused = firstError(begun);
        if (refused != null) {
            for (HostCalls.Outcome<List<String>> o : begun.values()) {
                if (o.ok()) {
                    HostAgent a = agentOrNull(o.host());
                    o.value().forEach(vm -> abortQuietly(a, id, vm));
                }
            }
            SnapshotFailure kind = switch (refused.error().reason()) {
                case BAD_REQUEST -> SnapshotFailure.IMAGES_UNREACHABLE;
                case UNREACHABLE -> SnapshotFailure.HOST_UNREACHABLE;
                default -> SnapshotFailure.IMPORT_FAILED;
            };
            throw new SnapshotException(errorFrom(kind, refused, movesByTarget.get(refused.host()).stream().map(Move::vm).toList()),
                    refused.error());
        }
        // A target that already held a part opened no import for it: it needs no copy.
        Set<String> needed = new HashSet<>();
        begun.values().forEach(o -> needed.addAll(o.value()));
        return needed;
    }

    /**
     * Refuses a placement that puts more VMs on a target than its {@code maxVms}: what it runs now, less the slice's
     * VMs there that the restore replaces or moves away, plus the VMs placed on it.
     */
    private void checkRoom(SliceSnapshotRecord rec, List<Move> moves, Map<String, String> origin, Map<String, HostInfo> infos)
            throws SnapshotException, InterruptedException {
        Map<String, String> target = new LinkedHashMap<>(origin);
        moves.forEach(m -> target.put(m.vm(), m.to()));
        Set<String> targets = new java.util.TreeSet<>();
        moves.forEach(m -> targets.add(m.to()));
        Map<String, HostCalls.Outcome<List<VmInfo>>> running = calls.onEach(targets, settings.callTimeout(), (h, a) -> a.vms());
        for (String h : targets) {
            HostCalls.Outcome<List<VmInfo>> o = running.get(h);
            if (!o.ok()) {
                throw new SnapshotException(errorFrom(SnapshotFailure.HOST_UNREACHABLE, o, List.of()), o.error());
            }
            long leaving = o.value().stream().filter(v -> v.slice().equals(rec.slice()) && target.containsKey(v.name())).count();
            long arriving = target.values().stream().filter(h::equals).count();
            HostInfo i = infos.get(h);
            long after = o.value().size() - leaving + arriving;
            if (after > i.maxVms()) {
                throw refusal(SnapshotFailure.TARGET_FULL, h, moves.stream().filter(m -> m.to().equals(h)).map(Move::vm).findFirst().orElse(""),
                        h + " may run " + i.maxVms() + " VMs; with this placement it would run " + after);
            }
        }
    }

    private HostAgent agentOrNull(String host) {
        try {
            return directory.host(host);
        } catch (HostException e) {
            return null;
        }
    }

    private static void abortQuietly(HostAgent a, String id, String vm) {
        if (a == null) {
            return;
        }
        try {
            a.abortImport(id, vm);
        } catch (HostException e) {
            LOG.warn("cannot drop the import of {} in {}: {}", vm, id, e.getMessage());
        }
    }

    /**
     * Copies the parts the targets opened imports for, in parallel across targets (one VM after the other on each);
     * returns the bytes moved. A failure drops every import not yet finished and fails with IMPORT_FAILED (or
     * HOST_UNREACHABLE); parts already published on a target stay there, deleted with the snapshot.
     */
    private long copyParts(String id, List<Move> moves, Map<String, SnapshotPart> parts, Set<String> needed)
            throws SnapshotException, InterruptedException {
        Map<String, List<Move>> byTarget = new LinkedHashMap<>();
        moves.stream().filter(m -> needed.contains(m.vm())).forEach(m -> byTarget.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(m));
        if (byTarget.isEmpty()) {
            return 0;
        }
        Map<String, HostCalls.Outcome<Long>> done = calls.onEach(byTarget.keySet(), settings.restoreTimeout(), (h, a) -> {
            long bytes = 0;
            List<Move> todo = byTarget.get(h);
            for (int i = 0; i < todo.size(); i++) {
                Move m = todo.get(i);
                try {
                    bytes += PartCopy.copy(directory.host(m.from()), a, parts.get(m.vm()), drivers);
                } catch (HostException e) {
                    for (Move later : todo.subList(i + 1, todo.size())) {
                        abortQuietly(a, id, later.vm());
                    }
                    throw new HostException(e.reason(), m.vm() + " from " + m.from() + ": " + e.getMessage(), e);
                }
            }
            return bytes;
        });
        HostCalls.Outcome<Long> bad = firstError(done);
        if (bad != null) {
            for (HostCalls.Outcome<Long> o : done.values()) {
                if (o.timedOut()) {
                    HostAgent a = agentOrNull(o.host());
                    byTarget.get(o.host()).forEach(m -> abortQuietly(a, id, m.vm()));
                }
            }
            SnapshotFailure kind = bad.error().reason() == HostException.Reason.UNREACHABLE ? SnapshotFailure.HOST_UNREACHABLE
                    : SnapshotFailure.IMPORT_FAILED;
            throw new SnapshotException(errorFrom(kind, bad, byTarget.get(bad.host()).stream().map(Move::vm).toList()), bad.error());
        }
        return done.values().stream().mapToLong(HostCalls.Outcome::value).sum();
    }

    /**
     * Destroys every VM of the snapshot that runs, under its name and in its slice, on a host other than the one it is
     * restored on (a copy from an earlier restore that moved it, or the original of a moved VM), so that no VM runs
     * twice. Hosts that do not answer are skipped (logged): they cannot be reached by the slice's traffic either.
     */
    private void removeStaleCopies(SliceSnapshotRecord rec, Map<String, String> target) throws InterruptedException {
        Set<String> hosts = new java.util.TreeSet<>(directory.hostIds());
        hosts.addAll(rec.hosts());
        hosts.addAll(target.values());
        Map<String, HostCalls.Outcome<List<String>>> out = calls.onEach(hosts, settings.callTimeout(), (h, a) -> {
            List<String> removed = new ArrayList<>();
            for (VmInfo v : a.vms()) {
                String home = target.get(v.name());
                if (home != null && !home.equals(h) && v.slice().equals(rec.slice())) {
                    a.destroyVm(v.name());
                    removed.add(v.name());
                }
            }
            return removed;
        });
        for (HostCalls.Outcome<List<String>> o : out.values()) {
            if (!o.ok()) {
                LOG.warn("restore of {}: cannot check host {} for stale copies of the slice's VMs: {}", rec.id(), o.host(),
                        o.error().getMessage());
            } else if (!o.value().isEmpty()) {
                LOG.info("restore of {}: destroyed {} on {}, which now run elsewhere", rec.id(), o.value(), o.host());
            }
        }
    }

    /**
     * Makes the slice's links span the hosts of the new placement: each link's segment (from the snapshot's port
     * records) exists on every host with a VM on it, and each pair of those hosts is joined by a tunnel both ways.
     * Both calls are idempotent, so hosts that already had them are unaffected.
     */
    private void connectNetwork(String slice, Map<String, String> target, Map<String, SnapshotPart> parts, Map<String, HostInfo> infos)
            throws SnapshotException, InterruptedException {
        Map<String, SegmentSpec> links = new LinkedHashMap<>();
        Map<String, Set<String>> hostsOnLink = new LinkedHashMap<>();
        for (SnapshotPart p : parts.values()) {
            for (SegmentSpec s : p.segments()) {
                links.putIfAbsent(s.link(), s);
                hostsOnLink.computeIfAbsent(s.link(), k -> new java.util.TreeSet<>()).add(target.get(p.vm()));
            }
        }
        Set<String> hosts = new java.util.TreeSet<>();
        hostsOnLink.values().forEach(hosts::addAll);
        Map<String, HostCalls.Outcome<Boolean>> out = calls.onEach(hosts, settings.callTimeout(), (h, a) -> {
            for (Map.Entry<String, Set<String>> e : hostsOnLink.entrySet()) {
                if (!e.getValue().contains(h)) {
                    continue;
                }
                a.createSegment(links.get(e.getKey()));
                for (String peer : e.getValue()) {
                    if (!peer.equals(h)) {
                        a.connectSegment(slice, e.getKey(), infos.get(peer).tunnelEndpoint());
                    }
                }
            }
            return true;
        });
        HostCalls.Outcome<Boolean> bad = firstError(out);
        if (bad != null) {
            SnapshotFailure kind = bad.error().reason() == HostException.Reason.UNREACHABLE ? SnapshotFailure.HOST_UNREACHABLE
                    : SnapshotFailure.RESTORE_FAILED;
            throw new SnapshotException(errorFrom(kind, bad, List.of()), bad.error());
        }
    }

    // ================================================================ recovery

    private Resolution resolve(SliceSnapshotRecord rec) throws InterruptedException, CatalogException {
        String id = rec.id();
        Map<String, HostCalls.Outcome<List<HostSnapshot>>> held = calls.onEach(rec.hosts(), settings.callTimeout(),
                (h, a) -> a.snapshots());
        List<String> missing = new ArrayList<>();
        Map<String, HostSnapshot> parts = new LinkedHashMap<>();
        for (HostCalls.Outcome<List<HostSnapshot>> o : held.values()) {
            if (!o.ok()) {
                missing.add(o.host() + " (" + o.error().getMessage() + ")");
                continue;
            }
            Optional<HostSnapshot> s = o.value().stream().filter(x -> x.snapshotId().equals(id) && x.complete()).findFirst();
            if (s.isPresent()) {
                parts.put(o.host(), s.get());
            } else {
                missing.add(o.host() + " (not committed there)");
            }
        }
        SliceSnapshotState found = rec.state();
        SliceSnapshotRecord cur = rec;
        if (missing.isEmpty()) {
            List<VmEntry> entries = new ArrayList<>();
            long bytes = 0;
            long heldFrames = 0;
            long recorded = 0;
            long dropped = 0;
            for (VmEntry planned : rec.vms()) {
                HostSnapshot s = parts.get(planned.host());
                VmCut c = s.vms().stream().filter(v -> v.vm().equals(planned.vm())).findFirst().orElse(null);
                entries.add(c == null ? planned : new VmEntry(planned.vm(), planned.host(), c.cutAt(), c.downtime(),
                        c.memoryBytes(), c.diskBytes()));
            }
            for (HostSnapshot s : parts.values()) {
                bytes += s.bytes();
                heldFrames += s.framesHeld();
                recorded += s.framesRecorded();
                dropped += s.framesDropped();
            }
            Instant now = clock.instant();
            // Walk the states the crash skipped, so the history stays a legal sequence.
            for (SliceSnapshotState step : List.of(SliceSnapshotState.TAKING, SliceSnapshotState.COMMITTING)) {
                if (cur.state().canMoveTo(step)) {
                    cur = catalog.update(cur.withState(step, now));
                }
            }
            cur = catalog.update(cur.withCuts(entries, skew(entries)).withTotals(bytes, heldFrames, recorded, dropped)
                    .withState(SliceSnapshotState.COMPLETE, now));
            return new Resolution(id, found, SliceSnapshotState.COMPLETE, "every host holds it committed");
        }
        Map<String, List<String>> byHost = new LinkedHashMap<>();
        for (String h : rec.hosts()) {
            byHost.put(h, rec.vmsOn(h));
        }
        List<String> trouble = cleanUp(id, byHost);
        String reason = "coordinator restarted while " + found + "; not committed on " + String.join(", ", missing)
                + (trouble.isEmpty() ? "" : " [cleanup incomplete: " + String.join("; ", trouble) + "]");
        String firstHost = missing.get(0).split(" ", 2)[0];
        SnapshotError err = new SnapshotError(SnapshotFailure.COORDINATOR_RESTARTED, firstHost, "", reason);
        cur = catalog.update(cur.failed(err.message(), clock.instant()));
        return new Resolution(id, found, cur.state(), err.message());
    }

    // ================================================================ helpers

    private void occupy(String slice, String what) throws SnapshotException {
        synchronized (lock) {
            if (closed) {
                throw new SnapshotException(new SnapshotError(SnapshotFailure.SHUT_DOWN, "", "", "the coordinator is closed"));
            }
            String busy = busySlices.putIfAbsent(slice, what);
            if (busy != null) {
                throw new SnapshotException(new SnapshotError(SnapshotFailure.SLICE_BUSY, "", "",
                        "slice " + slice + " is busy with " + busy));
            }
        }
    }

    private void release(String slice, String what) {
        synchronized (lock) {
            busySlices.remove(slice, what);
        }
    }

    private void checkOpen() throws Abandoned {
        synchronized (lock) {
            if (closed) {
                throw new Abandoned();
            }
        }
    }

    private SliceSnapshotRecord find(String snapshotId) throws SnapshotException {
        try {
            return catalog.get(snapshotId).orElseThrow(() -> new SnapshotException(new SnapshotError(
                    SnapshotFailure.UNKNOWN_SNAPSHOT, "", "", "no snapshot with id '" + snapshotId + "' in this aggregate")));
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
    }

    /** A cheap call to every host in parallel, timed to size the lead of a common instant. */
    private Map<String, HostCalls.Outcome<Object>> ping(Iterable<String> hosts) throws InterruptedException {
        List<String> list = new ArrayList<>();
        hosts.forEach(list::add);
        return calls.onEach(list, settings.callTimeout(), (h, a) -> a.info());
    }

    /** The slowest round trip among the pings; a host that did not answer counts as the longest lead. */
    private Duration slowest(Map<String, HostCalls.Outcome<Object>> pings) {
        Duration worst = Duration.ZERO;
        for (HostCalls.Outcome<Object> o : pings.values()) {
            if (!o.ok()) {
                return settings.maxLead();
            }
            if (o.rtt().compareTo(worst) > 0) {
                worst = o.rtt();
            }
        }
        return worst;
    }

    private static Duration skew(List<VmEntry> entries) {
        Instant min = entries.stream().map(VmEntry::cutAt).min(Comparator.naturalOrder()).orElse(null);
        Instant max = entries.stream().map(VmEntry::cutAt).max(Comparator.naturalOrder()).orElse(null);
        return min == null ? Duration.ZERO : Duration.between(min, max);
    }

    private static <T> HostCalls.Outcome<T> firstError(Map<String, HostCalls.Outcome<T>> outcomes) {
        return outcomes.values().stream().filter(o -> !o.ok()).findFirst().orElse(null);
    }

    private static SnapshotError errorFrom(SnapshotFailure kind, HostCalls.Outcome<?> o, List<String> vms) {
        String msg = o.error().getMessage() == null ? o.error().reason().name() : o.error().getMessage();
        return new SnapshotError(kind, o.host(), vmIn(msg, vms), o.error().reason() + ": " + msg);
    }

    /** The VM a host's message is about: the only VM of the host, or the longest VM name the message mentions. */
    static String vmIn(String message, List<String> vms) {
        if (vms == null || vms.isEmpty()) {
            return "";
        }
        if (vms.size() == 1) {
            return vms.get(0);
        }
        String best = "";
        for (String vm : vms) {
            if (message != null && message.contains(vm) && vm.length() > best.length()) {
                best = vm;
            }
        }
        return best;
    }
}
