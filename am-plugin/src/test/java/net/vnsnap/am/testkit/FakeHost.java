package net.vnsnap.am.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PartFile;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.SnapshotProgress;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.vswitch.ColourPolicy;

/**
 * An in-memory host agent that keeps VMs (running or paused), snapshot files and a store size, takes cuts at the
 * injected clock's instants, and fails on demand: unreachable, out of space, a VM's take failing, a lost reply.
 */
public final class FakeHost implements HostAgent {

    /** The calls a test can make fail or stop at. */
    public enum Op { INFO, PREPARE, TAKE, COMMIT, ABORT, PROGRESS, SNAPSHOTS, DELETE, RESTORE, RESUME_RESTORED, VM, RESUME_VM, PART, READ_PART,
        BEGIN_IMPORT, WRITE_IMPORT, FINISH_IMPORT, ABORT_IMPORT }

    /** The size of the one image file each VM's part has here: a little over one copy chunk, so copies take two. */
    public static final int PART_IMAGE_BYTES = (2 << 20) + 1000;
    /** The link every fake VM's single port is on. */
    public static final String LINK = "lan0";

    /** One VM with its run state and the epoch its switch ports are in. */
    private static final class Vm {
        final String name;
        final String slice;
        final long memoryBytes;
        final long diskBytes;
        VmState state = VmState.RUNNING;
        String restoredFrom = "";
        int portEpoch;

        Vm(String name, String slice, long memoryBytes, long diskBytes) {
            this.name = name;
            this.slice = slice;
            this.memoryBytes = memoryBytes;
            this.diskBytes = diskBytes;
        }

        /** When resumeRestored resumed it, by the host's clock. */
        Instant resumedAt;

        VmInfo info() {
            return new VmInfo(name, slice, state, restoredFrom, "", null, resumedAt);
        }
    }

    /** The files of one snapshot on this host. */
    private static final class Snap {
        final SnapshotPlan plan;
        final long reserved;
        String phase = "prepared";
        long written;
        boolean complete;
        Instant createdAt;
        final List<VmCut> cuts = new ArrayList<>();

        Snap(SnapshotPlan plan, long reserved) {
            this.plan = plan;
            this.reserved = reserved;
        }
    }

    private final String hostId;
    private final Clock clock;
    private final Object lock = new Object();
    /** @GuardedBy("lock") */
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    /** Snapshot files by id, complete or not. @GuardedBy("lock") */
    private final Map<String, Snap> snaps = new LinkedHashMap<>();
    /** @GuardedBy("lock") */
    private long capacity;
    /** What info() reports as the VMs the host may run. @GuardedBy("lock") */
    private int maxVms = 16;
    /** What info() reports, so an AM can place VMs here ("fake" places none). @GuardedBy("lock") */
    private String hypervisor = "fake";
    /** @GuardedBy("lock") */
    private List<String> images = List.of("test");
    /** The snapshot modes offered; prepare refuses others as UNSUPPORTED_MODE, as a real host does. @GuardedBy("lock") */
    private Set<SnapshotMode> modes = EnumSet.allOf(SnapshotMode.class);
    /** Ops that throw UNREACHABLE; {@link #down} makes every op do so. @GuardedBy("lock") */
    private final Set<Op> unreachable = EnumSet.noneOf(Op.class);
    /** @GuardedBy("lock") */
    private boolean down;
    /** @GuardedBy("lock") */
    private String failTakeVm;
    /** Models a host that breaks the contract and leaves the failed VM paused. @GuardedBy("lock") */
    private boolean leavePausedOnFailure;
    /** When false, abort leaves VMs as they are, so the coordinator's own check must resume them. @GuardedBy("lock") */
    private boolean abortResumesVms = true;
    /** The take happens, then the reply is lost (the coordinator sees UNREACHABLE). @GuardedBy("lock") */
    private boolean loseTakeReply;
    /** The host goes down right after its take returned. @GuardedBy("lock") */
    private boolean dieAfterTake;
    /** Restore refuses with RESTORE_FAILED. @GuardedBy("lock") */
    private boolean failRestore;
    /** beginImport finds a VM image it needs missing here. @GuardedBy("lock") */
    private boolean imagesUnreachable;
    /** writeImport flips a bit of what it stores, so finishImport finds a checksum mismatch. @GuardedBy("lock") */
    private boolean damageImports;
    /** Imports in progress by "snapshot/vm": the part and the bytes received per file. @GuardedBy("lock") */
    private final Map<String, Map.Entry<SnapshotPart, Map<String, java.io.ByteArrayOutputStream>>> imports = new HashMap<>();
    /** Tunnel peers per link as "link endpoint". @GuardedBy("lock") */
    private final Set<String> tunnels = new java.util.TreeSet<>();
    /** Segments by "slice link". @GuardedBy("lock") */
    private final Map<String, SegmentSpec> segments = new HashMap<>();
    /** In live mode each VM's cut lands this long after the take call, like a pre-copy of that length. @GuardedBy("lock") */
    private final Map<String, Duration> liveCutDelay = new HashMap<>();
    private final Map<Op, Gate> gatesBefore = new EnumMap<>(Op.class);
    private final Map<Op, Gate> gatesAfter = new EnumMap<>(Op.class);

    /** Every call, as "op snapshotId-or-vm", in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** The cut instants the coordinator asked for, one per take call. */
    private final List<Instant> requestedCuts = new CopyOnWriteArrayList<>();
    /** The resume instants the coordinator asked for, one per resumeRestored call. */
    private final List<Instant> requestedResumes = new CopyOnWriteArrayList<>();
    /** Take calls that have returned or thrown. */
    private final AtomicInteger takesEnded = new AtomicInteger();
    /** The epochs restoreSnapshot was called with. */
    private final List<Integer> restoreEpochs = new CopyOnWriteArrayList<>();

    public FakeHost(String hostId, Clock clock, long capacityBytes) {
        this.hostId = hostId;
        this.clock = clock;
        this.capacity = capacityBytes;
    }

    // ---------------------------------------------------------------- test controls

    public FakeHost addVm(String name, String slice, long memoryBytes, long diskBytes) {
        synchronized (lock) {
            vms.put(name, new Vm(name, slice, memoryBytes, diskBytes));
        }
        return this;
    }

    /** Reports this hypervisor and these images, so an aggregate manager places VMs here. */
    public FakeHost asHypervisor(String name, List<String> imageNames) {
        synchronized (lock) {
            hypervisor = name;
            images = List.copyOf(imageNames);
        }
        return this;
    }

    public void setModes(Set<SnapshotMode> offered) {
        synchronized (lock) {
            modes = Set.copyOf(offered);
        }
    }

    public void setCapacity(long bytes) {
        synchronized (lock) {
            capacity = bytes;
        }
    }

    public void setDown(boolean d) {
        synchronized (lock) {
            down = d;
        }
    }

    public void setUnreachable(Op op) {
        synchronized (lock) {
            unreachable.add(op);
        }
    }

    public void failTake(String vm, boolean leavePaused) {
        synchronized (lock) {
            failTakeVm = vm;
            leavePausedOnFailure = leavePaused;
        }
    }

    public void setAbortResumesVms(boolean b) {
        synchronized (lock) {
            abortResumesVms = b;
        }
    }

    public void loseTakeReply() {
        synchronized (lock) {
            loseTakeReply = true;
        }
    }

    public void dieAfterTake() {
        synchronized (lock) {
            dieAfterTake = true;
        }
    }

    public void failRestore() {
        synchronized (lock) {
            failRestore = true;
        }
    }

    public void setMaxVms(int n) {
        synchronized (lock) {
            maxVms = n;
        }
    }

    public void imagesUnreachable() {
        synchronized (lock) {
            imagesUnreachable = true;
        }
    }

    public void damageImports() {
        synchronized (lock) {
            damageImports = true;
        }
    }

    /** Tunnels as "link endpoint". */
    public Set<String> tunnels() {
        synchronized (lock) {
            return Set.copyOf(tunnels);
        }
    }

    /** The links of the segments created here (of any slice). */
    public Set<String> segments() {
        synchronized (lock) {
            return Set.copyOf(segments.values().stream().map(SegmentSpec::link).toList());
        }
    }

    /** The VMs whose part of the snapshot this host holds committed. */
    public List<String> partVms(String snapshotId) {
        synchronized (lock) {
            Snap s = snaps.get(snapshotId);
            return s == null || !s.complete ? List.of() : s.cuts.stream().map(VmCut::vm).toList();
        }
    }

    /** Imports begun and neither finished nor dropped. */
    public Set<String> openImports() {
        synchronized (lock) {
            return Set.copyOf(imports.keySet());
        }
    }

    public void liveCutDelay(String vm, Duration d) {
        synchronized (lock) {
            liveCutDelay.put(vm, d);
        }
    }

    /** The next call of {@code op} stops before doing anything until the gate is released. */
    public Gate gateBefore(Op op) {
        Gate g = new Gate();
        synchronized (lock) {
            gatesBefore.put(op, g);
        }
        return g;
    }

    /** The next call of {@code op} does its work, then stops before replying until the gate is released. */
    public Gate gateAfter(Op op) {
        Gate g = new Gate();
        synchronized (lock) {
            gatesAfter.put(op, g);
        }
        return g;
    }

    public String hostId() {
        return hostId;
    }

    public VmState state(String vm) {
        synchronized (lock) {
            return vms.get(vm).state;
        }
    }

    public boolean hasVm(String vm) {
        synchronized (lock) {
            return vms.containsKey(vm);
        }
    }

    public int portEpoch(String vm) {
        synchronized (lock) {
            return vms.get(vm).portEpoch;
        }
    }

    /** VMs not running (paused in any way). */
    public List<String> pausedVms() {
        synchronized (lock) {
            return vms.values().stream().filter(v -> v.state != VmState.RUNNING).map(v -> v.name).toList();
        }
    }

    /** Ids of every snapshot with files here. */
    public Set<String> snapshotFiles() {
        synchronized (lock) {
            return Set.copyOf(snaps.keySet());
        }
    }

    /** Ids of snapshots with files here that are not committed. */
    public Set<String> partialSnapshots() {
        synchronized (lock) {
            return Set.copyOf(snaps.values().stream().filter(s -> !s.complete).map(s -> s.plan.snapshotId()).toList());
        }
    }

    public String phase(String snapshotId) {
        synchronized (lock) {
            Snap s = snaps.get(snapshotId);
            return s == null ? "none" : s.phase;
        }
    }

    public List<String> calls() {
        return List.copyOf(calls);
    }

    public long count(Op op) {
        String p = op.name().toLowerCase() + " ";
        return calls.stream().filter(c -> c.startsWith(p)).count();
    }

    public List<Instant> requestedCuts() {
        return List.copyOf(requestedCuts);
    }

    public List<Instant> requestedResumes() {
        return List.copyOf(requestedResumes);
    }

    public int takesEnded() {
        return takesEnded.get();
    }

    public List<Integer> restoreEpochs() {
        return List.copyOf(restoreEpochs);
    }

    // ---------------------------------------------------------------- plumbing

    private void enter(Op op, String what) throws HostException {
        calls.add(op.name().toLowerCase() + " " + what);
        Gate g;
        synchronized (lock) {
            g = gatesBefore.remove(op);
        }
        if (g != null) {
            g.pass();
        }
        synchronized (lock) {
            if (down || unreachable.contains(op)) {
                throw new HostException(Reason.UNREACHABLE, "host " + hostId + " does not answer");
            }
        }
    }

    private void leave(Op op) {
        Gate g;
        synchronized (lock) {
            g = gatesAfter.remove(op);
        }
        if (g != null) {
            g.pass();
        }
    }

    private Snap snap(String id) throws HostException {
        Snap s = snaps.get(id);
        if (s == null) {
            throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no snapshot " + id + " on " + hostId);
        }
        return s;
    }

    private long used() {
        return snaps.values().stream().mapToLong(s -> s.reserved).sum();
    }

    private HostSnapshot describe(Snap s) {
        long held = s.cuts.size();
        return new HostSnapshot(s.plan.snapshotId(), s.plan.slice(), s.plan.epoch(), s.plan.mode(), s.complete, s.createdAt,
                s.cuts, s.written, 2L * s.cuts.size(), held, 0);
    }

    // ---------------------------------------------------------------- HostAgent

    @Override
    public HostInfo info() throws HostException {
        enter(Op.INFO, "");
        synchronized (lock) {
            int running = (int) vms.values().stream().filter(v -> v.state == VmState.RUNNING).count();
            return new HostInfo(hostId, hypervisor, "1", "none", modes, capacity - used(), hostId + ":4789", images, maxVms, running);
        }
    }

    @Override
    public void createSegment(SegmentSpec segment) throws HostException {
        calls.add("createsegment " + segment.link());
        synchronized (lock) {
            SegmentSpec had = segments.putIfAbsent(segment.slice() + " " + segment.link(), segment);
            if (had != null && !had.equals(segment)) {
                throw new HostException(Reason.CONFLICT, "segment " + segment.link() + " exists with other settings");
            }
        }
    }

    @Override
    public void connectSegment(String slice, String link, String remoteTunnelEndpoint) throws HostException {
        calls.add("connectsegment " + link + " " + remoteTunnelEndpoint);
        synchronized (lock) {
            if (!segments.containsKey(slice + " " + link)) {
                throw new HostException(Reason.BAD_REQUEST, "no segment " + link + " on " + hostId);
            }
            tunnels.add(link + " " + remoteTunnelEndpoint);
        }
    }

    @Override
    public void removeSegment(String slice, String link) {
        calls.add("removesegment " + link);
    }

    @Override
    public VmInfo createVm(VmRequest request) {
        synchronized (lock) {
            Vm v = new Vm(request.name(), request.slice(), request.memoryMiB() * 1024L * 1024L, 0);
            vms.put(v.name, v);
            return v.info();
        }
    }

    @Override
    public VmInfo vm(String name) throws HostException {
        enter(Op.VM, name);
        synchronized (lock) {
            Vm v = vms.get(name);
            if (v == null) {
                throw new HostException(Reason.NO_SUCH_VM, "no VM " + name + " on " + hostId);
            }
            return v.info();
        }
    }

    @Override
    public List<VmInfo> vms() {
        synchronized (lock) {
            return vms.values().stream().map(Vm::info).toList();
        }
    }

    @Override
    public void pauseVm(String name) throws HostException {
        synchronized (lock) {
            Vm v = vms.get(name);
            if (v == null) {
                throw new HostException(Reason.NO_SUCH_VM, "no VM " + name);
            }
            v.state = VmState.PAUSED;
        }
    }

    @Override
    public void resumeVm(String name) throws HostException {
        enter(Op.RESUME_VM, name);
        synchronized (lock) {
            Vm v = vms.get(name);
            if (v == null) {
                throw new HostException(Reason.NO_SUCH_VM, "no VM " + name);
            }
            v.state = VmState.RUNNING;
        }
    }

    @Override
    public void destroyVm(String name) {
        calls.add("destroyvm " + name);
        synchronized (lock) {
            vms.remove(name);
        }
    }

    @Override
    public PrepareResult prepareSnapshot(SnapshotPlan plan) throws HostException {
        enter(Op.PREPARE, plan.snapshotId());
        synchronized (lock) {
            if (!modes.contains(plan.mode())) {
                throw new HostException(Reason.UNSUPPORTED_MODE, hostId + " cannot take " + plan.mode() + " snapshots");
            }
            List<String> problems = new ArrayList<>();
            long required = 0;
            for (String name : plan.vms()) {
                Vm v = vms.get(name);
                if (v == null) {
                    problems.add(name + ": no such VM on " + hostId);
                    continue;
                }
                required += v.memoryBytes + (plan.includeDisk() ? v.diskBytes : 0);
            }
            long free = capacity - used();
            if (required > free) {
                problems.add("snapshot store on " + hostId + ": needs " + required + " bytes for " + String.join(", ", plan.vms())
                        + ", " + free + " free");
            }
            if (problems.isEmpty()) {
                snaps.put(plan.snapshotId(), new Snap(plan, required));
            }
            return new PrepareResult(problems.isEmpty(), required, free, problems);
        }
    }

    @Override
    public List<VmCut> takeSnapshot(String snapshotId, Instant cutAt) throws HostException {
        try {
            return take(snapshotId, cutAt);
        } finally {
            takesEnded.incrementAndGet();
        }
    }

    private List<VmCut> take(String snapshotId, Instant cutAt) throws HostException {
        enter(Op.TAKE, snapshotId);
        requestedCuts.add(cutAt == null ? Instant.EPOCH : cutAt);
        List<VmCut> result;
        synchronized (lock) {
            Snap s = snap(snapshotId);
            if (!s.phase.equals("prepared")) {
                throw new HostException(Reason.SNAPSHOT_FAILED, "snapshot " + snapshotId + " is " + s.phase + ", not prepared");
            }
            s.phase = "taking";
            Instant now = clock.instant();
            for (String name : s.plan.vms()) {
                Vm v = vms.get(name);
                v.state = VmState.PAUSED;
                if (name.equals(failTakeVm)) {
                    if (!leavePausedOnFailure) {
                        v.state = VmState.RUNNING;
                    }
                    throw new HostException(Reason.SNAPSHOT_FAILED, name + ": memory image write failed (injected)");
                }
                Instant cut = cutAt != null ? cutAt : now.plus(liveCutDelay.getOrDefault(name, Duration.ZERO));
                v.portEpoch = s.plan.epoch();
                v.state = VmState.RUNNING;
                long disk = s.plan.includeDisk() ? v.diskBytes : 0;
                s.cuts.add(new VmCut(name, cut, Duration.ofMillis(5), Duration.ofMillis(50), v.memoryBytes, disk,
                        Map.of("pause", Duration.ofMillis(5))));
                s.written += v.memoryBytes + disk;
            }
            s.phase = "taken";
            result = List.copyOf(s.cuts);
        }
        leave(Op.TAKE);
        synchronized (lock) {
            if (dieAfterTake) {
                down = true;
            }
            if (loseTakeReply) {
                throw new HostException(Reason.UNREACHABLE, "connection to " + hostId + " reset while waiting for the reply");
            }
        }
        return result;
    }

    @Override
    public HostSnapshot commitSnapshot(String snapshotId) throws HostException {
        enter(Op.COMMIT, snapshotId);
        HostSnapshot out;
        synchronized (lock) {
            Snap s = snap(snapshotId);
            if (!s.phase.equals("taken") && !s.phase.equals("committed")) {
                throw new HostException(Reason.SNAPSHOT_FAILED, "snapshot " + snapshotId + " is " + s.phase + ", not taken");
            }
            s.phase = "committed";
            s.complete = true;
            s.createdAt = clock.instant();
            out = describe(s);
        }
        leave(Op.COMMIT);
        return out;
    }

    @Override
    public void abortSnapshot(String snapshotId) throws HostException {
        enter(Op.ABORT, snapshotId);
        synchronized (lock) {
            Snap s = snaps.get(snapshotId);
            if (s == null || s.complete) {
                return;
            }
            snaps.remove(snapshotId);
            if (abortResumesVms) {
                for (String name : s.plan.vms()) {
                    Vm v = vms.get(name);
                    if (v != null && v.state == VmState.PAUSED) {
                        v.state = VmState.RUNNING;
                    }
                }
            }
        }
    }

    @Override
    public SnapshotProgress progress(String snapshotId) throws HostException {
        enter(Op.PROGRESS, snapshotId);
        synchronized (lock) {
            Snap s = snap(snapshotId);
            // Mid-take the fake reports half its bytes, so a poller sees a figure strictly between 0 and 100.
            long written = s.phase.equals("prepared") ? s.reserved / 2 : s.written;
            return new SnapshotProgress(snapshotId, s.phase, written, s.reserved);
        }
    }

    @Override
    public List<HostSnapshot> snapshots() throws HostException {
        enter(Op.SNAPSHOTS, "");
        synchronized (lock) {
            return snaps.values().stream().filter(s -> s.complete).map(this::describe).toList();
        }
    }

    @Override
    public void deleteSnapshot(String snapshotId) throws HostException {
        enter(Op.DELETE, snapshotId);
        synchronized (lock) {
            snaps.remove(snapshotId);
        }
    }

    @Override
    public void updateUsers(String name, List<GuestUser> users) throws HostException {
        calls.add("updateUsers " + name);
        synchronized (lock) {
            if (down) {
                throw new HostException(Reason.UNREACHABLE, "host " + hostId + " is down");
            }
            if (!vms.containsKey(name)) {
                throw new HostException(Reason.NO_SUCH_VM, "no VM " + name + " on " + hostId);
            }
        }
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch) throws HostException {
        return restoreSnapshot(snapshotId, epoch, null);
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch, List<String> only) throws HostException {
        enter(Op.RESTORE, snapshotId);
        restoreEpochs.add(epoch);
        synchronized (lock) {
            Snap s = snaps.get(snapshotId);
            if (s == null || !s.complete) {
                throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no complete snapshot " + snapshotId + " on " + hostId);
            }
            if (failRestore) {
                String vm = s.plan.vms().get(0);
                throw new HostException(Reason.CORRUPT_SNAPSHOT, vm + ": memory image checksum mismatch (injected)");
            }
            if (only != null && !s.cuts.stream().map(VmCut::vm).toList().containsAll(only)) {
                throw new HostException(Reason.NO_SUCH_VM, "snapshot " + snapshotId + " on " + hostId + " lacks one of " + only);
            }
            List<VmInfo> out = new ArrayList<>();
            for (VmCut c : s.cuts) {
                if (only != null && !only.contains(c.vm())) {
                    continue;
                }
                Vm v = new Vm(c.vm(), s.plan.slice(), c.memoryBytes(), c.diskBytes());
                v.state = VmState.RESTORED_PAUSED;
                v.restoredFrom = snapshotId;
                v.portEpoch = epoch;
                vms.put(v.name, v);
                out.add(v.info());
            }
            return out;
        }
    }

    @Override
    public List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException {
        enter(Op.RESUME_RESTORED, snapshotId);
        requestedResumes.add(resumeAt);
        synchronized (lock) {
            List<VmInfo> out = new ArrayList<>();
            for (Vm v : vms.values()) {
                if (v.restoredFrom.equals(snapshotId) && v.state == VmState.RESTORED_PAUSED) {
                    v.state = VmState.RUNNING;
                    v.resumedAt = clock.instant();
                    out.add(v.info());
                }
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- moving parts

    /** The fake's part files of a VM: a manifest naming its cut, and an image whose bytes derive from the VM's name. */
    private static Map<String, byte[]> partFiles(String snapshotId, VmCut c) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("part.manifest", (snapshotId + " " + c.vm() + " " + c.cutAt() + " " + c.memoryBytes() + " " + c.diskBytes())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] image = new byte[PART_IMAGE_BYTES];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (c.vm().hashCode() + i);
        }
        files.put("vms/" + c.vm() + "/memory.img", image);
        return files;
    }

    private static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private VmCut heldCut(String snapshotId, String vm) throws HostException {
        Snap s = snaps.get(snapshotId);
        if (s == null || !s.complete) {
            throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no complete snapshot " + snapshotId + " on " + hostId);
        }
        return s.cuts.stream().filter(c -> c.vm().equals(vm)).findFirst().orElseThrow(() -> new HostException(Reason.NO_SUCH_SNAPSHOT,
                "snapshot " + snapshotId + " holds no part of " + vm + " on " + hostId));
    }

    @Override
    public SnapshotPart snapshotPart(String snapshotId, String vm) throws HostException {
        enter(Op.PART, snapshotId + "/" + vm);
        synchronized (lock) {
            VmCut c = heldCut(snapshotId, vm);
            Snap s = snaps.get(snapshotId);
            List<PartFile> files = new ArrayList<>();
            partFiles(snapshotId, c).forEach((p, b) -> files.add(new PartFile(p, b.length, sha256(b))));
            // The slice's segments on this host (an AM created them), else the one link of VMs added by tests.
            List<SegmentSpec> segs = segments.values().stream().filter(g -> g.slice().equals(s.plan.slice())).toList();
            if (segs.isEmpty()) {
                segs = List.of(new SegmentSpec(s.plan.slice(), LINK, 401, ColourPolicy.HOLD_AND_RECORD));
            }
            return new SnapshotPart(snapshotId, s.plan.slice(), s.plan.epoch(), s.plan.mode(), vm, vm, files, segs, List.of("/images/" + vm));
        }
    }

    @Override
    public byte[] readSnapshotPart(String snapshotId, String vm, String path, long offset, int length) throws HostException {
        enter(Op.READ_PART, snapshotId + "/" + vm + "/" + path);
        synchronized (lock) {
            byte[] b = partFiles(snapshotId, heldCut(snapshotId, vm)).get(path);
            if (b == null || length > MAX_CHUNK || offset > b.length) {
                throw new HostException(Reason.BAD_REQUEST, "bad read of " + path);
            }
            return java.util.Arrays.copyOfRange(b, (int) offset, (int) Math.min(b.length, offset + length));
        }
    }

    @Override
    public boolean beginImport(SnapshotPart part) throws HostException {
        enter(Op.BEGIN_IMPORT, part.snapshotId() + "/" + part.vm());
        synchronized (lock) {
            Snap s = snaps.get(part.snapshotId());
            if (s != null && s.complete && s.cuts.stream().anyMatch(c -> c.vm().equals(part.vm()))) {
                return false;
            }
            if (imagesUnreachable) {
                throw new HostException(Reason.BAD_REQUEST, part.vm() + " needs " + part.requiredPaths() + ", which " + hostId + " cannot reach");
            }
            if (part.bytes() > capacity - used()) {
                throw new HostException(Reason.INSUFFICIENT_STORAGE, "no room for " + part.vm() + " on " + hostId);
            }
            imports.put(part.snapshotId() + "/" + part.vm(), Map.entry(part, new HashMap<>()));
            return true;
        }
    }

    @Override
    public void writeImport(String snapshotId, String vm, String path, long offset, byte[] data) throws HostException {
        enter(Op.WRITE_IMPORT, snapshotId + "/" + vm + "/" + path);
        synchronized (lock) {
            var imp = imports.get(snapshotId + "/" + vm);
            if (imp == null) {
                throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no import of " + vm);
            }
            java.io.ByteArrayOutputStream out = imp.getValue().computeIfAbsent(path, k -> new java.io.ByteArrayOutputStream());
            if (out.size() != offset) {
                throw new HostException(Reason.BAD_REQUEST, "write at " + offset + " but " + out.size() + " bytes written");
            }
            byte[] copy = data.clone();
            if (damageImports && copy.length > 0) {
                copy[0] ^= 1;
            }
            out.write(copy, 0, copy.length);
        }
    }

    @Override
    public HostSnapshot finishImport(String snapshotId, String vm) throws HostException {
        enter(Op.FINISH_IMPORT, snapshotId + "/" + vm);
        synchronized (lock) {
            var imp = imports.remove(snapshotId + "/" + vm);
            if (imp == null) {
                throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no import of " + vm);
            }
            SnapshotPart part = imp.getKey();
            for (PartFile f : part.files()) {
                java.io.ByteArrayOutputStream got = imp.getValue().get(f.path());
                if (got == null || !sha256(got.toByteArray()).equals(f.sha256())) {
                    throw new HostException(Reason.CORRUPT_SNAPSHOT, vm + ": " + f.path() + " fails its checksum on " + hostId);
                }
            }
            String[] m = new String(imp.getValue().get("part.manifest").toByteArray(), java.nio.charset.StandardCharsets.UTF_8).split(" ");
            VmCut cut = new VmCut(vm, Instant.parse(m[2]), Duration.ofMillis(5), Duration.ofMillis(50), Long.parseLong(m[3]),
                    Long.parseLong(m[4]), Map.of());
            Snap s = snaps.get(snapshotId);
            if (s == null) {
                s = new Snap(new SnapshotPlan(snapshotId, part.slice(), part.epoch(), part.mode(), false, List.of(vm)), part.bytes());
                s.complete = true;
                s.phase = "committed";
                s.createdAt = clock.instant();
                snaps.put(snapshotId, s);
            }
            s.cuts.add(cut);
            return describe(s);
        }
    }

    @Override
    public void abortImport(String snapshotId, String vm) throws HostException {
        enter(Op.ABORT_IMPORT, snapshotId + "/" + vm);
        synchronized (lock) {
            imports.remove(snapshotId + "/" + vm);
        }
    }
}
