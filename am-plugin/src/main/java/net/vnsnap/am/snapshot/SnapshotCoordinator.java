package net.vnsnap.am.snapshot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostSnapshot;
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
        this.calls = new HostCalls(Objects.requireNonNull(hosts, "hosts"), Objects.requireNonNull(hostCalls, "hostCalls"), clock);
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
            return doRestore(now);
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

    private RestoreReport doRestore(SliceSnapshotRecord rec) throws SnapshotException, InterruptedException {
        Instant started = clock.instant();
        String id = rec.id();
        int epoch;
        try {
            // Above every epoch the slice has used, so no frame from before the restore counts as post-cut.
            epoch = catalog.nextEpoch(rec.slice(), rec.epoch());
        } catch (CatalogException e) {
            throw new SnapshotException(new SnapshotError(SnapshotFailure.CATALOG_ERROR, "", "", e.getMessage()), e);
        }
        Map<String, HostCalls.Outcome<List<VmInfo>>> loaded = calls.onEach(rec.hosts(), settings.restoreTimeout(),
                (h, a) -> a.restoreSnapshot(id, epoch));
        HostCalls.Outcome<List<VmInfo>> bad = firstError(loaded);
        if (bad != null) {
            // A half-restored slice must not run: remove what the other hosts loaded.
            calls.onEach(rec.hosts(), settings.callTimeout(), (h, a) -> {
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
            throw new SnapshotException(errorFrom(kind, bad, rec.vmsOn(bad.host())), bad.error());
        }
        // A host that misses the ping still gets the resume call, which reports it; the lead then is the longest.
        Instant resumeAt = clock.instant().plus(settings.leadFor(slowest(ping(rec.hosts()))));
        Map<String, HostCalls.Outcome<List<VmInfo>>> resumed = calls.onEach(rec.hosts(), settings.callTimeout(),
                (h, a) -> a.resumeRestored(id, resumeAt));
        HostCalls.Outcome<List<VmInfo>> notResumed = firstError(resumed);
        if (notResumed != null) {
            throw new SnapshotException(errorFrom(SnapshotFailure.RESUME_FAILED, notResumed, rec.vmsOn(notResumed.host())),
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
        return new RestoreReport(id, rec.slice(), rec.epoch(), epoch, resumeAt, vms, Duration.between(first, lastAnswer),
                Duration.between(started, lastAnswer));
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
