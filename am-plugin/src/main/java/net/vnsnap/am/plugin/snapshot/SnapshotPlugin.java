package net.vnsnap.am.plugin.snapshot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.am.api.ActionResult;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.api.Wire;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.am.core.HostErrors;
import net.vnsnap.am.core.HostRegistry;
import net.vnsnap.am.plugin.AmPlugin;
import net.vnsnap.am.plugin.PluginAction;
import net.vnsnap.am.plugin.PluginContext;
import net.vnsnap.am.plugin.PluginHost;
import net.vnsnap.am.slice.AllocationState;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotException;
import net.vnsnap.am.snapshot.SnapshotFailure;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.SnapshotState;
import net.vnsnap.rspec.snapshot.VmSnapshot;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The AM plugin that exposes slice snapshots: the vnsnap_* operational actions, their progress in Status, the
 * snapshot list in manifests, periodic snapshots with retention, and clean-up when a slice goes (see
 * docs/experimenter-snapshots.md).
 */
public final class SnapshotPlugin implements AmPlugin, AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(SnapshotPlugin.class);

    public static final String SNAPSHOT = "vnsnap_snapshot";
    public static final String RESTORE = "vnsnap_restore";
    public static final String DELETE = "vnsnap_delete_snapshot";

    public static final String OPT_MODE = "vnsnap_mode";
    public static final String OPT_LABEL = "vnsnap_label";
    public static final String OPT_INCLUDE_DISK = "vnsnap_include_disk";
    public static final String OPT_SNAPSHOT_ID = "vnsnap_snapshot_id";
    /** Restore option: a struct from a node's client_id to the host its VM is to run on after the restore. */
    public static final String OPT_PLACEMENT = "vnsnap_placement";

    /** Label of snapshots the schedule takes, so experimenters can tell them from their own. */
    public static final String SCHEDULED_LABEL = "scheduled";
    /** How often due periodic snapshots are looked for; schedules are at least a minute, so they start at most this late. */
    public static final Duration DEFAULT_TICK = Duration.ofSeconds(15);

    private final SnapshotCoordinator coordinator;
    /** Read directly for listings (Describe, retention, schedules); every change goes through the coordinator. */
    private final SnapshotCatalog catalog;
    private final Clock clock;
    /** Runs completions, restores, deletions and the schedule tick; give it two threads or more, since a restore holds one for minutes. */
    private final ScheduledExecutorService scheduler;
    /** Null: no automatic ticks (tests call {@link #tick()}). */
    private final Duration tickPeriod;

    /**
     * Guards the plugin's maps. Order: the core's slice lock, then this one; background work enters a slice through
     * {@link PluginHost#withSlice} and never calls the core or the coordinator while holding it.
     */
    private final Object lock = new Object();
    /** Set once by {@link #attach}; read by background tasks. */
    private volatile PluginHost host;
    /** The operation running on each slice (at most one). @GuardedBy("lock") */
    private final Map<String, Running> running = new HashMap<>();
    /** The last finished operation on each slice, for Status; lost at restart, then read back from the catalog. @GuardedBy("lock") */
    private final Map<String, Outcome> last = new HashMap<>();
    /** Slices whose last outcome was looked up in the catalog already (found or not), so Status reads it once. @GuardedBy("lock") */
    private final Set<String> lastLoaded = new HashSet<>();
    /** Start of the first period of a scheduled slice without snapshots, or of the period after a refused attempt. @GuardedBy("lock") */
    private final Map<String, Instant> periodStart = new HashMap<>();
    /** Parsed settings by slice, with the request text they came from, so Status and ticks do not re-parse. @GuardedBy("lock") */
    private final Map<String, Parsed> parsed = new HashMap<>();
    /** Slices deleted while an operation ran on them: their snapshots are purged when it ends. @GuardedBy("lock") */
    private final Map<String, Instant> deletedAt = new HashMap<>();
    /** @GuardedBy("lock") */
    private ScheduledFuture<?> ticker;
    /** False until the first tick has returned slivers left busy by an earlier AM process to geni_ready. @GuardedBy("lock") */
    private boolean recovered;

    /**
     * An operation in progress on one slice. {@code shownPercent} is the highest progress Status has reported: the
     * hosts' figures can dip (a host that finished reports its bytes on disk instead of the bytes it transferred), and
     * progress shown to experimenters never goes back.
     *
     * @param placement for a restore: each VM's host after it (the sliver's current host unless the caller moved it)
     * @param moves     for a restore: the slivers whose host changes, sliver URN to new host
     */
    private record Running(String action, String snapshotId, List<String> sliverUrns, SnapshotHandle handle,
            Map<String, String> placement, Map<String, String> moves, AtomicInteger shownPercent) {
        Running(String action, String snapshotId, List<String> sliverUrns, SnapshotHandle handle) {
            this(action, snapshotId, sliverUrns, handle, Map.of(), Map.of());
        }

        Running(String action, String snapshotId, List<String> sliverUrns, SnapshotHandle handle,
                Map<String, String> placement, Map<String, String> moves) {
            this(action, snapshotId, sliverUrns, handle, placement, moves, new AtomicInteger());
        }
    }

    /** The percent to show: the new figure, but never below one shown before for the same operation. */
    static int shownPercent(AtomicInteger shown, double percent) {
        int p = (int) Math.floor(Math.max(0, Math.min(100, percent)));
        return shown.accumulateAndGet(p, Math::max);
    }

    /**
     * How the last operation on a slice ended; {@code error} is "" on success. {@code figures} are the measurements
     * Status shows with it (vnsnap_last_duration_ms, cut skew, frames, resume skew), empty when none.
     */
    private record Outcome(String action, String snapshotId, boolean ok, String error, Instant finished,
            Map<String, Integer> figures) {
        Outcome(String action, String snapshotId, boolean ok, String error, Instant finished) {
            this(action, snapshotId, ok, error, finished, Map.of());
        }
    }

    /** What a complete snapshot measured, as Status fields (ints, which every XML-RPC client reads). */
    static Map<String, Integer> snapshotFigures(SliceSnapshotRecord rec) {
        Map<String, Integer> m = new LinkedHashMap<>();
        if (rec.finishedAt() != null) {
            m.put("vnsnap_last_duration_ms", clamp(Duration.between(rec.createdAt(), rec.finishedAt()).toMillis()));
        }
        if (rec.cutSkew() != null) {
            m.put("vnsnap_last_cut_skew_us", clamp(rec.cutSkew().toNanos() / 1000));
        }
        m.put("vnsnap_last_frames_held", clamp(rec.framesHeld()));
        m.put("vnsnap_last_frames_recorded", clamp(rec.framesRecorded()));
        m.put("vnsnap_last_frames_dropped", clamp(rec.framesDropped()));
        return m;
    }

    /**
     * What a restore measured, as Status fields: the resume skew is the hosts' measurement (latest minus earliest
     * instant a restored VM resumed); only when a host did not report its instants, the spread of their answers.
     */
    static Map<String, Integer> restoreFigures(RestoreReport r) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("vnsnap_last_duration_ms", clamp(r.duration().toMillis()));
        Duration skew = r.resumeSkew() != null ? r.resumeSkew() : r.resumeSpread();
        m.put("vnsnap_last_resume_skew_us", clamp(skew.toNanos() / 1000));
        return m;
    }

    private static int clamp(long v) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    private record Parsed(String request, SliceSettings settings) {
    }

    /**
     * The plugin as the AM daemon builds it: pass it to the {@code AggregateManager} constructor's plugin list; the
     * core then attaches it, which starts the periodic-snapshot tick every {@link #DEFAULT_TICK} on {@code scheduler}.
     * Call {@code coordinator.resolveAfterRestart()} before the AM serves calls, and {@link #close()} on shutdown.
     */
    public SnapshotPlugin(SnapshotCoordinator coordinator, SnapshotCatalog catalog, Clock clock,
            ScheduledExecutorService scheduler) {
        this(coordinator, catalog, clock, scheduler, DEFAULT_TICK);
    }

    /** As above with the tick period chosen; null ticks only when {@link #tick()} is called. */
    public SnapshotPlugin(SnapshotCoordinator coordinator, SnapshotCatalog catalog, Clock clock,
            ScheduledExecutorService scheduler, Duration tickPeriod) {
        this.coordinator = coordinator;
        this.catalog = catalog;
        this.clock = clock;
        this.scheduler = scheduler;
        this.tickPeriod = tickPeriod;
    }

    @Override
    public String name() {
        return "vnsnap-snapshots";
    }

    @Override
    public void attach(PluginHost h) {
        host = h;
        if (tickPeriod != null) {
            synchronized (lock) {
                long ms = tickPeriod.toMillis();
                ticker = scheduler.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Stops the tick; operations already running finish on the scheduler (the daemon closes the coordinator after). */
    @Override
    public void close() {
        synchronized (lock) {
            if (ticker != null) {
                ticker.cancel(false);
            }
        }
    }

    @Override
    public List<PluginAction> actions() {
        return List.of(
                new PluginAction(SNAPSHOT, "geni_ready", "geni_ready_busy", "Snapshot the slice's snapshot-enabled VMs (options "
                        + OPT_MODE + ", " + OPT_LABEL + ", " + OPT_INCLUDE_DISK + "); the answer carries " + OPT_SNAPSHOT_ID
                        + "; poll Status until geni_ready."),
                new PluginAction(RESTORE, "geni_ready", "geni_configuring", "Bring the slice back to snapshot "
                        + OPT_SNAPSHOT_ID + "; poll Status until geni_ready."),
                new PluginAction(RESTORE, "geni_failed", "geni_configuring", "Recreate the slice's VMs from snapshot "
                        + OPT_SNAPSHOT_ID + "."),
                new PluginAction(DELETE, "geni_ready", "geni_ready_busy", "Delete snapshot " + OPT_SNAPSHOT_ID
                        + " on every host."));
    }

    // ---------------------------------------------------------------- actions

    @Override
    public Optional<ActionResult> perform(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, String action,
            Options options) throws GeniException {
        return switch (action) {
            case SNAPSHOT -> Optional.of(snapshot(ctx, slice, slivers, options));
            case RESTORE -> Optional.of(restore(ctx, slice, slivers, options));
            case DELETE -> Optional.of(delete(ctx, slice, slivers, options));
            default -> Optional.empty();
        };
    }

    private ActionResult snapshot(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, Options options)
            throws GeniException {
        refuseIfBusy(slice.urn());
        SliceSettings settings = settings(slice);
        List<Sliver> enabled = slivers.stream().filter(s -> settings.isEnabled(s.clientId())).toList();
        if (enabled.isEmpty()) {
            throw new GeniException(GeniCode.BADARGS, "none of the slivers named is snapshot-enabled: the request RSpec"
                    + " enables snapshots per node with <snap:snapshot/> (namespace http://vnsnap.net/rspec/ext/snapshot/1)"
                    + (settings.enabled().isEmpty() ? ", and slice " + slice.urn() + " has no such node"
                            : "; enabled nodes: " + String.join(", ", settings.enabled().keySet())));
        }
        for (Sliver s : enabled) {
            if (!takeable(s.operational())) {
                throw new GeniException(GeniCode.BADARGS, "sliver " + s.urn() + " (" + s.clientId() + ") is "
                        + s.operational().wire() + "; " + SNAPSHOT + " needs geni_ready");
            }
        }
        SnapshotMode mode = mode(options, settings);
        boolean disk = options.bool(OPT_INCLUDE_DISK, settings.includeDisk());
        String label = options.string(OPT_LABEL).orElse("");
        SnapshotHandle h = start(ctx, slice, enabled, mode, disk, label);
        return answer(ctx, slice, slivers, enabled, OperationalState.READY_BUSY, SNAPSHOT, h.snapshotId(), h);
    }

    /** Checks every host can take {@code mode}, starts the snapshot, marks the slivers busy and arranges its end. */
    private SnapshotHandle start(PluginContext ctx, SliceRecord slice, List<Sliver> enabled, SnapshotMode mode, boolean disk,
            String label) throws GeniException {
        Map<String, List<String>> vmsByHost = new LinkedHashMap<>();
        for (Sliver s : enabled) {
            vmsByHost.computeIfAbsent(s.host(), k -> new ArrayList<>()).add(s.vmName());
        }
        checkModes(ctx.hosts(), vmsByHost, mode);
        SnapshotHandle h = coordinator.start(new SliceSnapshotRequest(slice.urn(), mode, disk, label, vmsByHost));
        List<String> urns = enabled.stream().map(Sliver::urn).toList();
        Running r = new Running(SNAPSHOT, h.snapshotId(), urns, h);
        synchronized (lock) {
            running.put(slice.urn(), r);
        }
        LOG.info("slice {}: snapshot {} started ({}, disk {}, {} VMs) by {}", slice.urn(), h.snapshotId(),
                mode.name().toLowerCase(Locale.ROOT), disk, urns.size(), ctx.actor());
        try {
            h.completion().whenCompleteAsync((rec, err) -> snapshotEnded(slice.urn(), r, rec, err), scheduler);
        } catch (RejectedExecutionException e) {
            LOG.error("snapshot {}: the scheduler is shut down; its end will not be reported", h.snapshotId());
        }
        return h;
    }

    private ActionResult restore(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, Options options)
            throws GeniException {
        refuseIfBusy(slice.urn());
        String id = snapshotId(options, RESTORE);
        SliceSnapshotRecord rec = snapshotOf(slice, id);
        if (rec.state() != SliceSnapshotState.COMPLETE) {
            throw new GeniException(GeniCode.BADARGS, "snapshot " + id + " is " + wireState(rec.state()).wire()
                    + (rec.failure().isEmpty() ? "" : " (" + rec.failure() + ")") + "; only complete snapshots can be restored");
        }
        // VM names are unique in a slice; the host may differ from the snapshot's after a restore that moved the VM.
        Map<String, Sliver> byVm = new HashMap<>();
        slice.slivers().forEach(s -> byVm.put(s.vmName(), s));
        List<Sliver> theirs = new ArrayList<>();
        for (VmEntry v : rec.vms()) {
            Sliver s = byVm.get(v.vm());
            if (s == null || s.allocation() != AllocationState.PROVISIONED) {
                throw new GeniException(GeniCode.BADARGS, "snapshot " + id + " holds VM " + v.vm() + " on host " + v.host()
                        + ", whose sliver is no longer provisioned in " + slice.urn() + "; it cannot be restored here");
            }
            theirs.add(s);
        }
        List<String> urns = theirs.stream().map(Sliver::urn).toList();
        // Each VM comes back where its sliver is now, unless the caller moves it.
        Map<String, String> placement = new LinkedHashMap<>();
        theirs.forEach(s -> placement.put(s.vmName(), s.host()));
        Map<String, String> moves = new LinkedHashMap<>();
        Optional<Map<String, Object>> asked = options.struct(OPT_PLACEMENT);
        if (asked.isPresent()) {
            List<String> hostIds = ctx.hosts().hostIds();
            for (Map.Entry<String, Object> e : asked.get().entrySet()) {
                Sliver s = theirs.stream().filter(x -> x.clientId().equals(e.getKey())).findFirst().orElseThrow(() -> new GeniException(
                        GeniCode.BADARGS, OPT_PLACEMENT + ": snapshot " + id + " holds no node '" + e.getKey() + "'"));
                if (!(e.getValue() instanceof String to) || !hostIds.contains(to)) {
                    throw new GeniException(GeniCode.BADARGS, OPT_PLACEMENT + ": node '" + e.getKey() + "' names no host of this aggregate ("
                            + e.getValue() + "); its hosts are " + hostIds);
                }
                placement.put(s.vmName(), to);
                if (!to.equals(s.host())) {
                    moves.put(s.urn(), to);
                }
            }
        }
        Running r = new Running(RESTORE, id, urns, null, placement, moves);
        synchronized (lock) {
            running.put(slice.urn(), r);
        }
        try {
            HostRegistry hosts = ctx.hosts();
            List<Sliver> current = List.copyOf(theirs);
            scheduler.execute(() -> runRestore(slice.urn(), r, hosts, current));
        } catch (RejectedExecutionException e) {
            synchronized (lock) {
                running.remove(slice.urn());
            }
            throw new GeniException(GeniCode.UNAVAILABLE, "the aggregate is shutting down; try again later", e);
        }
        LOG.info("slice {}: restore of {} started by {}", slice.urn(), id, ctx.actor());
        return answer(ctx, slice, slivers, theirs, OperationalState.CONFIGURING, RESTORE, id, null);
    }

    private ActionResult delete(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, Options options)
            throws GeniException {
        refuseIfBusy(slice.urn());
        String id = snapshotId(options, DELETE);
        SliceSnapshotRecord rec = snapshotOf(slice, id);
        Set<String> vms = new LinkedHashSet<>();
        rec.vms().forEach(v -> vms.add(v.vm()));
        List<Sliver> theirs = slivers.stream().filter(s -> vms.contains(s.vmName())
                && s.operational() == OperationalState.READY).toList();
        Running r = new Running(DELETE, id, theirs.stream().map(Sliver::urn).toList(), null);
        synchronized (lock) {
            running.put(slice.urn(), r);
        }
        try {
            scheduler.execute(() -> runDelete(slice.urn(), r));
        } catch (RejectedExecutionException e) {
            synchronized (lock) {
                running.remove(slice.urn());
            }
            throw new GeniException(GeniCode.UNAVAILABLE, "the aggregate is shutting down; try again later", e);
        }
        return answer(ctx, slice, slivers, theirs, OperationalState.READY_BUSY, DELETE, id, null);
    }

    /** Sets {@code changed} to {@code state} and answers every sliver of the call, with the snapshot id. */
    private ActionResult answer(PluginContext ctx, SliceRecord slice, List<Sliver> called, List<Sliver> changed,
            OperationalState state, String action, String id, SnapshotHandle h) throws GeniException {
        SliceRecord now = changed.isEmpty() ? slice : ctx.setOperational(changed.stream().map(Sliver::urn).toList(), state, "");
        Map<String, Sliver> current = new HashMap<>();
        now.slivers().forEach(s -> current.put(s.urn(), s));
        Set<String> listed = new LinkedHashSet<>();
        called.forEach(s -> listed.add(s.urn()));
        changed.forEach(s -> listed.add(s.urn()));
        List<SliverStatus> out = new ArrayList<>();
        for (String u : listed) {
            out.add(ctx.status(current.get(u)));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put(OPT_SNAPSHOT_ID, id);
        extra.put("vnsnap_action", action);
        if (h != null) {
            extra.put("vnsnap_snapshot_state", h.state().name().toLowerCase(Locale.ROOT));
        }
        return new ActionResult(out, extra);
    }

    // ---------------------------------------------------------------- background ends

    private void snapshotEnded(String slice, Running r, SliceSnapshotRecord rec, Throwable err) {
        Outcome o;
        if (err != null) {
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            o = new Outcome(SNAPSHOT, r.snapshotId(), false, "the aggregate stopped while the snapshot ran ("
                    + cause.getMessage() + "); its outcome is decided when it starts again", clock.instant());
        } else if (rec.state() == SliceSnapshotState.COMPLETE) {
            o = new Outcome(SNAPSHOT, r.snapshotId(), true, "", clock.instant(), snapshotFigures(rec));
            LOG.info("slice {}: snapshot {} complete ({} bytes)", slice, r.snapshotId(), rec.totalBytes());
            applyRetention(slice);
        } else {
            o = new Outcome(SNAPSHOT, r.snapshotId(), false, rec.failure(), clock.instant());
            LOG.warn("slice {}: snapshot {} failed: {}", slice, r.snapshotId(), rec.failure());
        }
        // A failed snapshot was aborted everywhere and its VMs resumed, so the slivers are ready again either way.
        end(slice, r, o, OperationalState.READY, "", Set.of(OperationalState.READY_BUSY));
    }

    private void runRestore(String slice, Running r, HostRegistry hosts, List<Sliver> current) {
        Outcome o;
        OperationalState state = OperationalState.READY;
        String error = "";
        List<Sliver> paused = quiesce(hosts, current);
        try {
            RestoreReport rep = coordinator.restore(r.snapshotId(), r.placement());
            if (!r.moves().isEmpty()) {
                recordMoves(slice, r);
            }
            o = new Outcome(RESTORE, r.snapshotId(), true, "", clock.instant(), restoreFigures(rep));
            LOG.info("slice {}: restored snapshot {} (resume skew {}, moved {})", slice, r.snapshotId(), rep.resumeSkew(), r.moves());
        } catch (SnapshotException e) {
            o = new Outcome(RESTORE, r.snapshotId(), false, e.getMessage(), clock.instant());
            LOG.warn("slice {}: restore of {} failed: {}", slice, r.snapshotId(), e.getMessage());
            SnapshotFailure f = e.failure();
            // These refusals come before any VM is touched: the slice runs as before.
            Set<SnapshotFailure> nothingChanged = Set.of(SnapshotFailure.SLICE_BUSY, SnapshotFailure.UNKNOWN_SNAPSHOT,
                    SnapshotFailure.NOT_RESTORABLE, SnapshotFailure.SHUT_DOWN, SnapshotFailure.CATALOG_ERROR, SnapshotFailure.INVALID_REQUEST,
                    SnapshotFailure.UNKNOWN_HOST, SnapshotFailure.HYPERVISOR_MISMATCH, SnapshotFailure.IMAGES_UNREACHABLE,
                    SnapshotFailure.TARGET_FULL, SnapshotFailure.IMPORT_FAILED);
            if (!nothingChanged.contains(f)) {
                // The hosts replaced the VMs and then removed the half restored ones: nothing runs any more.
                state = OperationalState.FAILED;
                error = RESTORE + " " + r.snapshotId() + " failed: " + e.getMessage();
            } else {
                // Refused before any host replaced a VM: the slice runs on as it was.
                resume(hosts, paused);
            }
        } catch (RuntimeException e) {
            LOG.error("slice {}: restore of {} broke", slice, r.snapshotId(), e);
            o = new Outcome(RESTORE, r.snapshotId(), false, "internal error: " + e, clock.instant());
            state = OperationalState.FAILED;
            error = o.error();
        }
        // A Status during the restore may have seen a VM missing and stored geni_failed: the restore outcome wins.
        end(slice, r, o, state, error, Set.of(OperationalState.CONFIGURING, OperationalState.FAILED));
    }

    /** Tells the AM core where moved VMs run now, so Status and Delete reach them there. */
    private void recordMoves(String slice, Running r) {
        PluginHost h = host;
        if (h == null) {
            LOG.error("slice {}: restore moved {} but no AM core is attached to record it", slice, r.moves());
            return;
        }
        try {
            h.withSlice(slice, (ctx, rec) -> ctx.moveSlivers(r.moves()));
        } catch (GeniException | RuntimeException e) {
            LOG.error("slice {}: restore moved {} but the AM core could not record it: {}", slice, r.moves(), e.getMessage());
        }
    }

    /**
     * Pauses the VMs a restore is about to replace, on every host, before any host loads the snapshot: hosts restore in
     * parallel, so otherwise a VM still running on one host sends frames (of the epoch after the snapshot's cut) to a
     * VM another host has already restored, whose port takes them as pre-cut traffic and delivers them when it
     * resumes; the restored guests would read data from a future they were never in. Returns the VMs paused here.
     */
    private static List<Sliver> quiesce(HostRegistry hosts, List<Sliver> current) {
        List<Sliver> paused = new ArrayList<>();
        for (Sliver s : current) {
            try {
                var a = hosts.agent(s.host());
                if (a.vm(s.vmName()).state() == net.vnsnap.host.driver.VmState.RUNNING) {
                    a.pauseVm(s.vmName());
                    paused.add(s);
                }
            } catch (HostException e) {
                // Gone or unreachable: nothing of it runs to send frames, or its host's restore will fail and say so.
                LOG.info("restore: VM {} on host {} not paused first: {}", s.vmName(), s.host(), e.getMessage());
            }
        }
        return paused;
    }

    /** Resumes VMs {@link #quiesce} paused, when the restore was refused before it replaced them. */
    private static void resume(HostRegistry hosts, List<Sliver> paused) {
        for (Sliver s : paused) {
            try {
                hosts.agent(s.host()).resumeVm(s.vmName());
            } catch (HostException e) {
                LOG.error("restore refused, but VM {} on host {} could not be resumed: {}", s.vmName(), s.host(), e.getMessage());
            }
        }
    }

    private void runDelete(String slice, Running r) {
        Outcome o;
        try {
            coordinator.delete(r.snapshotId());
            o = new Outcome(DELETE, r.snapshotId(), true, "", clock.instant());
        } catch (SnapshotException | RuntimeException e) {
            LOG.warn("slice {}: deleting {} failed: {}", slice, r.snapshotId(), e.getMessage());
            o = new Outcome(DELETE, r.snapshotId(), false, e.getMessage(), clock.instant());
        }
        end(slice, r, o, OperationalState.READY, "", Set.of(OperationalState.READY_BUSY));
    }

    /**
     * Returns the operation's slivers that are still in one of {@code from} (a later call's change wins) to
     * {@code state}, records the outcome and frees the slice; purges the slice's snapshots if it was deleted meanwhile.
     */
    private void end(String slice, Running r, Outcome o, OperationalState state, String error, Set<OperationalState> from) {
        try {
            PluginHost h = host;
            if (h != null && !r.sliverUrns().isEmpty()) {
                h.withSlice(slice, (ctx, rec) -> {
                    List<String> back = rec.slivers().stream().filter(s -> r.sliverUrns().contains(s.urn())
                            && from.contains(s.operational())).map(Sliver::urn).toList();
                    if (!back.isEmpty()) {
                        ctx.setOperational(back, state, error);
                    }
                    finish(slice, r, o);
                    return null;
                });
            }
        } catch (GeniException | RuntimeException e) {
            LOG.error("slice {}: could not return slivers to {} after {} {}: {}", slice, state.wire(), r.action(),
                    r.snapshotId(), e.getMessage());
        } finally {
            finish(slice, r, o);
            Instant gone;
            synchronized (lock) {
                gone = deletedAt.remove(slice);
            }
            if (gone != null) {
                purge(slice, gone);
            }
        }
    }

    /** Frees the slice and records the outcome; does nothing the second time. */
    private void finish(String slice, Running r, Outcome o) {
        synchronized (lock) {
            if (running.get(slice) == r) {
                running.remove(slice);
                last.put(slice, o);
            }
        }
    }

    /** Deletes the oldest complete snapshots beyond the slice's retain count. */
    private void applyRetention(String slice) {
        try {
            SliceSettings s;
            synchronized (lock) {
                Parsed p = parsed.get(slice);
                s = p == null ? null : p.settings();
            }
            int retain = s == null ? net.vnsnap.rspec.snapshot.SnapshotSettings.DEFAULT_RETAIN : s.retain();
            List<SliceSnapshotRecord> complete = catalog.list(slice).stream()
                    .filter(x -> x.state() == SliceSnapshotState.COMPLETE).toList();
            for (int i = 0; i < complete.size() - retain; i++) {
                String id = complete.get(i).id();
                try {
                    coordinator.delete(id);
                    LOG.info("slice {}: snapshot {} deleted (retain {})", slice, id, retain);
                } catch (SnapshotException e) {
                    LOG.warn("slice {}: retention could not delete {}: {}", slice, id, e.getMessage());
                }
            }
        } catch (CatalogException | RuntimeException e) {
            LOG.warn("slice {}: retention skipped: {}", slice, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- schedules

    /** Starts the periodic snapshots that are due; the scheduler calls it every tick period (tests call it directly). */
    public void tick() {
        PluginHost h = host;
        if (h == null) {
            return;
        }
        List<String> slices;
        try {
            slices = h.sliceUrns();
        } catch (GeniException | RuntimeException e) {
            LOG.warn("schedule: cannot list slices: {}", e.getMessage());
            return;
        }
        boolean recover;
        synchronized (lock) {
            recover = !recovered;
            recovered = true;
        }
        for (String slice : slices) {
            try {
                h.withSlice(slice, (ctx, rec) -> {
                    if (recover) {
                        releaseStale(ctx, rec);
                    }
                    scheduled(ctx, rec);
                    return null;
                });
            } catch (GeniException | RuntimeException e) {
                LOG.warn("schedule: slice {}: {}", slice, e.getMessage());
            }
        }
    }

    /**
     * Slivers geni_ready_busy with no operation of ours running were left by an AM process that stopped mid-snapshot
     * (the coordinator's recovery has decided that snapshot since); their VMs run, so they are ready again.
     */
    private void releaseStale(PluginContext ctx, SliceRecord slice) throws GeniException {
        synchronized (lock) {
            if (running.containsKey(slice.urn())) {
                return;
            }
        }
        List<String> stale = slice.slivers().stream().filter(v -> v.operational() == OperationalState.READY_BUSY)
                .map(Sliver::urn).toList();
        if (!stale.isEmpty()) {
            ctx.setOperational(stale, OperationalState.READY, "");
            LOG.info("slice {}: {} slivers left busy by an earlier run are ready again", slice.urn(), stale.size());
        }
    }

    private void scheduled(PluginContext ctx, SliceRecord slice) throws GeniException {
        SliceSettings s = settings(slice);
        if (s.schedule() == null || slice.attributes().containsKey("shutdown")) {
            // The core marks an operator's shutdown with this attribute; its VMs must stay paused, so no snapshot.
            return;
        }
        Instant now = clock.instant();
        Instant base;
        synchronized (lock) {
            if (running.containsKey(slice.urn())) {
                return;
            }
            base = periodStart.get(slice.urn());
        }
        Instant latest;
        try {
            latest = catalog.list(slice.urn()).stream().map(SliceSnapshotRecord::createdAt).max(Instant::compareTo).orElse(null);
        } catch (CatalogException e) {
            throw new GeniException(GeniCode.DBERROR, e.getMessage(), e);
        }
        if (latest != null && (base == null || latest.isAfter(base))) {
            base = latest;
        }
        if (base == null) {
            synchronized (lock) {
                periodStart.put(slice.urn(), now);
            }
            return;
        }
        if (now.isBefore(base.plus(s.schedule()))) {
            return;
        }
        List<Sliver> enabled = slice.slivers().stream().filter(v -> s.isEnabled(v.clientId())
                && v.allocation() == AllocationState.PROVISIONED).toList();
        synchronized (lock) {
            periodStart.put(slice.urn(), now);
        }
        if (enabled.isEmpty() || !enabled.stream().allMatch(v -> v.operational() == OperationalState.READY)) {
            LOG.info("schedule: slice {} skipped this period: its snapshot-enabled slivers are not all geni_ready", slice.urn());
            return;
        }
        try {
            SnapshotHandle hd = start(ctx, slice, enabled, hostMode(s.mode()), s.includeDisk(), SCHEDULED_LABEL);
            ctx.setOperational(enabled.stream().map(Sliver::urn).toList(), OperationalState.READY_BUSY, "");
            LOG.info("schedule: slice {}: periodic snapshot {} started", slice.urn(), hd.snapshotId());
        } catch (GeniException e) {
            synchronized (lock) {
                last.put(slice.urn(), new Outcome(SNAPSHOT, "", false, "periodic snapshot refused: " + e.getMessage(), now));
            }
            LOG.warn("schedule: slice {}: periodic snapshot refused: {}", slice.urn(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- status, manifest, allocate, delete

    @Override
    public Map<String, Object> sliverStatusExtras(SliceRecord slice, Sliver sliver) {
        Map<String, Object> m = new LinkedHashMap<>();
        Running r;
        Outcome o;
        synchronized (lock) {
            r = running.get(slice.urn());
            o = last.get(slice.urn());
        }
        if (o == null) {
            boolean loaded;
            synchronized (lock) {
                loaded = !lastLoaded.add(slice.urn());
            }
            if (!loaded) {
                o = lastFromCatalog(slice.urn());
            }
        }
        if (r != null && r.sliverUrns().contains(sliver.urn())) {
            m.put("vnsnap_action", r.action());
            m.put(OPT_SNAPSHOT_ID, r.snapshotId());
            if (r.handle() != null) {
                var p = r.handle().progress();
                m.put("vnsnap_snapshot_state", p.state().name().toLowerCase(Locale.ROOT));
                m.put("vnsnap_progress_percent", shownPercent(r.shownPercent(), p.percent()));
            } else {
                m.put("vnsnap_snapshot_state", r.action().equals(RESTORE) ? "restoring" : "deleting");
                m.put("vnsnap_progress_percent", 0);
            }
        }
        if (o != null) {
            m.put("vnsnap_last_action", o.action());
            m.put("vnsnap_last_snapshot_id", o.snapshotId());
            m.put("vnsnap_last_outcome", o.ok() ? "succeeded" : "failed");
            m.put("vnsnap_last_error", o.error());
            m.put("vnsnap_last_finished", Wire.formatTime(o.finished()));
            m.putAll(o.figures());
        }
        return m;
    }

    /** After a restart: the newest snapshot's outcome, remembered so the catalog is read once per slice. */
    private Outcome lastFromCatalog(String slice) {
        try {
            List<SliceSnapshotRecord> all = catalog.list(slice);
            Outcome o = null;
            for (int i = all.size() - 1; i >= 0 && o == null; i--) {
                SliceSnapshotRecord x = all.get(i);
                if (x.state() == SliceSnapshotState.COMPLETE || x.state() == SliceSnapshotState.FAILED) {
                    boolean ok = x.state() == SliceSnapshotState.COMPLETE;
                    o = new Outcome(SNAPSHOT, x.id(), ok, x.failure(), x.finishedAt() == null ? x.stateSince() : x.finishedAt(),
                            ok ? snapshotFigures(x) : Map.of());
                }
            }
            if (o != null) {
                synchronized (lock) {
                    last.putIfAbsent(slice, o);
                }
            }
            return o;
        } catch (CatalogException | RuntimeException e) {
            LOG.warn("slice {}: cannot read its snapshots: {}", slice, e.getMessage());
            return null;
        }
    }

    /** Adds the slice's snapshots, oldest first (deleted ones left out); node settings in force come from the core's builder. */
    @Override
    public RSpec decorateManifest(SliceRecord slice, RSpec manifest) {
        List<SliceSnapshotRecord> all;
        try {
            all = catalog.list(slice.urn());
        } catch (CatalogException e) {
            LOG.warn("slice {}: manifest without snapshots, the catalog failed: {}", slice.urn(), e.getMessage());
            return manifest;
        }
        Map<String, Sliver> byVm = new HashMap<>();
        slice.slivers().forEach(s -> byVm.put(s.vmName(), s));
        List<SnapshotRecord> out = new ArrayList<>();
        for (SliceSnapshotRecord r : all) {
            if (r.state() == SliceSnapshotState.DELETED) {
                continue;
            }
            List<VmSnapshot> vms = new ArrayList<>();
            Instant cut = null;
            for (VmEntry v : r.vms()) {
                Sliver s = byVm.get(v.vm());
                vms.add(new VmSnapshot(s == null ? v.vm() : s.clientId(), s == null ? null : s.urn(), v.downtime(),
                        v.memoryBytes() + v.diskBytes()));
                if (v.cutAt() != null && (cut == null || v.cutAt().isBefore(cut))) {
                    cut = v.cutAt();
                }
            }
            out.add(new SnapshotRecord(r.id(), r.label().isEmpty() ? null : r.label(), cut != null ? cut : r.createdAt(),
                    wireState(r.state()), rspecMode(r.mode()), r.totalBytes(), vms));
        }
        return new SliceSnapshots(out).applyTo(manifest);
    }

    @Override
    public void onAllocate(RSpec request) throws GeniException {
        SliceSettings.of(request);
    }

    /**
     * Snapshots go with their slice: the schedule stops and every snapshot taken before now is deleted on its hosts,
     * in the background (after the running operation, if any).
     */
    @Override
    public void onDelete(SliceRecord slice) {
        Instant now = clock.instant();
        boolean later;
        synchronized (lock) {
            periodStart.remove(slice.urn());
            parsed.remove(slice.urn());
            later = running.containsKey(slice.urn());
            if (later) {
                deletedAt.put(slice.urn(), now);
            }
        }
        if (!later) {
            try {
                scheduler.execute(() -> purge(slice.urn(), now));
            } catch (RejectedExecutionException e) {
                LOG.warn("slice {}: snapshots not deleted, the scheduler is shut down", slice.urn());
            }
        }
    }

    private void purge(String slice, Instant before) {
        try {
            for (SliceSnapshotRecord r : catalog.list(slice)) {
                if (r.state() == SliceSnapshotState.DELETED || r.createdAt().isAfter(before)) {
                    continue;
                }
                try {
                    coordinator.delete(r.id());
                } catch (SnapshotException e) {
                    LOG.warn("slice {} deleted but its snapshot {} stays: {}", slice, r.id(), e.getMessage());
                }
            }
            synchronized (lock) {
                last.remove(slice);
                lastLoaded.remove(slice);
            }
        } catch (CatalogException | RuntimeException e) {
            LOG.warn("slice {}: snapshots not deleted: {}", slice, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    private void refuseIfBusy(String slice) throws GeniException {
        synchronized (lock) {
            Running r = running.get(slice);
            if (r != null) {
                throw new GeniException(GeniCode.BUSY, "slice " + slice + " is busy: " + r.action() + " of " + r.snapshotId()
                        + " is running; poll Status until the slivers are geni_ready, then try again");
            }
        }
    }

    /** geni_ready, or a busy state left by an operation that no longer runs here (the AM restarted meanwhile). */
    private static boolean takeable(OperationalState s) {
        return s == OperationalState.READY || s == OperationalState.READY_BUSY || s == OperationalState.CONFIGURING;
    }

    private SliceSettings settings(SliceRecord slice) throws GeniException {
        synchronized (lock) {
            Parsed p = parsed.get(slice.urn());
            if (p != null && p.request().equals(slice.request())) {
                return p.settings();
            }
        }
        SliceSettings s;
        try {
            s = SliceSettings.of(new RSpecReader().read(slice.request()));
        } catch (RSpecException e) {
            throw new GeniException(GeniCode.SERVERERROR, "the stored request of " + slice.urn() + " cannot be read back: "
                    + e.getMessage(), e);
        }
        synchronized (lock) {
            parsed.put(slice.urn(), new Parsed(slice.request(), s));
        }
        return s;
    }

    private static SnapshotMode mode(Options options, SliceSettings settings) throws GeniException {
        Optional<String> m = options.string(OPT_MODE);
        if (m.isEmpty()) {
            return hostMode(settings.mode());
        }
        return net.vnsnap.rspec.snapshot.SnapshotMode.fromWire(m.get()).map(SnapshotPlugin::hostMode).orElseThrow(() ->
                new GeniException(GeniCode.BADARGS, "option " + OPT_MODE + " must be one of live, cow, stop, not '" + m.get() + "'"));
    }

    private static SnapshotMode hostMode(net.vnsnap.rspec.snapshot.SnapshotMode m) {
        return SnapshotMode.valueOf(m.name());
    }

    private static net.vnsnap.rspec.snapshot.SnapshotMode rspecMode(SnapshotMode m) {
        return net.vnsnap.rspec.snapshot.SnapshotMode.valueOf(m.name());
    }

    /** UNSUPPORTED 13 when a host of the snapshot does not offer {@code mode} (checked now, so the caller hears it at once). */
    private static void checkModes(HostRegistry hosts, Map<String, List<String>> vmsByHost, SnapshotMode mode) throws GeniException {
        for (Map.Entry<String, List<String>> e : vmsByHost.entrySet()) {
            HostInfo info;
            try {
                info = hosts.agent(e.getKey()).info();
            } catch (HostException x) {
                throw HostErrors.toGeni(e.getKey(), "asking which snapshot modes it offers", x);
            }
            if (!info.modes().contains(mode)) {
                Set<String> offered = new TreeSet<>();
                info.modes().forEach(x -> offered.add(x.name().toLowerCase(Locale.ROOT)));
                throw new GeniException(GeniCode.UNSUPPORTED, "host " + e.getKey() + " cannot take "
                        + mode.name().toLowerCase(Locale.ROOT) + " snapshots (VMs " + String.join(", ", e.getValue())
                        + "); it offers " + (offered.isEmpty() ? "none" : String.join(", ", offered)));
            }
        }
    }

    private static String snapshotId(Options options, String action) throws GeniException {
        Optional<String> id = options.string(OPT_SNAPSHOT_ID);
        if (id.isEmpty() || id.get().isBlank()) {
            throw new GeniException(GeniCode.BADARGS, action + " needs the option " + OPT_SNAPSHOT_ID
                    + " (the id vnsnap_snapshot answered, or one listed in Describe)");
        }
        return id.get().trim();
    }

    /** The slice's snapshot {@code id}; SEARCHFAILED 12 when unknown, deleted or another slice's (not revealed). */
    private SliceSnapshotRecord snapshotOf(SliceRecord slice, String id) throws GeniException {
        SliceSnapshotRecord rec;
        try {
            rec = catalog.get(id).orElse(null);
        } catch (CatalogException e) {
            throw new GeniException(GeniCode.DBERROR, "the snapshot catalog failed: " + e.getMessage(), e);
        }
        if (rec == null || !rec.slice().equals(slice.urn()) || rec.state() == SliceSnapshotState.DELETED) {
            throw new GeniException(GeniCode.SEARCHFAILED, "slice " + slice.urn() + " has no snapshot " + id
                    + (rec != null && rec.state() == SliceSnapshotState.DELETED && rec.slice().equals(slice.urn())
                            ? " any more (it was deleted)" : ""));
        }
        return rec;
    }

    private static SnapshotState wireState(SliceSnapshotState s) {
        return switch (s) {
            case PREPARING -> SnapshotState.PENDING;
            case TAKING, COMMITTING -> SnapshotState.IN_PROGRESS;
            case COMPLETE -> SnapshotState.COMPLETE;
            case FAILED, DELETED -> SnapshotState.FAILED;
        };
    }
}
