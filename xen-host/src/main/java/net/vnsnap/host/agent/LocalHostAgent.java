package net.vnsnap.host.agent;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import net.vnsnap.host.access.NoCloudSeed;
import net.vnsnap.host.access.SeedImageWriter;
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
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.Capabilities;
import net.vnsnap.host.driver.CutHook;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.RawDisks;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.NoSuchVmException;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmSpecJson;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.snapshot.VmSnapshotService;
import net.vnsnap.host.store.Checksums;
import net.vnsnap.host.store.CorruptSnapshotException;
import net.vnsnap.host.store.DiskReference;
import net.vnsnap.host.store.FileEntry;
import net.vnsnap.host.store.SnapshotManifest;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.store.StoreException;
import net.vnsnap.host.store.StoredSnapshot;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.PortCounters;
import net.vnsnap.host.vswitch.PortId;
import net.vnsnap.host.vswitch.RecordedFrame;
import net.vnsnap.host.vswitch.SegmentId;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The host agent in-process: one hypervisor driver, one virtual switch and one snapshot store directory. */
public final class LocalHostAgent implements HostAgent, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(LocalHostAgent.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern GUEST_KEY = Pattern.compile("[a-z][a-z0-9]{0,31}");
    private static final String PARTIAL = ".partial";
    private static final String MANIFEST = "slice.manifest";
    private static final String QUARANTINE = ".quarantine";
    /** Staging areas of imports from other hosts, {@code .imports/<snapshotId>/<vm>/}; removed at start. */
    private static final String IMPORTS = ".imports";
    /** The single-VM slice manifest a part carries when it is copied to another host. */
    static final String PART_MANIFEST = "part.manifest";
    /** A relative path inside a part: segments of id characters, no "..". */
    private static final Pattern PART_PATH = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}");
    /** The control NIC's device id: the NIC carrying the SSH forward of a VM with guest access. */
    static final String CONTROL_NIC = "ctl";
    /** The disk id of a cloud image's NoCloud seed drive (read-only, after the image disk). */
    static final String SEED_DISK = "cidata";
    /** The guest port the SSH forward targets. */
    private static final int GUEST_SSH_PORT = 22;
    /** A cut instant further ahead than this is a coordinator bug, not a plan. */
    private static final Duration MAX_CUT_DELAY = Duration.ofMinutes(10);

    /** One switch port of a VM: the NIC it serves, where the switch listens and the VM's own UDP port. */
    private record PortBinding(String nic, SegmentSpec segment, PortId port, InetSocketAddress switchAddress, int vmPort) {
    }

    /** What the agent knows about one VM beyond the driver's view. */
    private static final class VmEntry {
        final String name;
        final String slice;
        final List<PortBinding> ports;
        /** The snapshot this VM was restored from, or "". */
        final String restoredFrom;
        /** The overlay the agent created for the VM's image disk, deleted with the VM unless a snapshot froze it. */
        final Path ownOverlay;
        /** The NoCloud seed image the agent wrote for a cloud image's VM, or null; deleted like {@link #ownOverlay}. */
        final Path ownSeed;
        /** Restored and not yet resumed: its ports hold traffic until {@link #resumeRestored}. */
        boolean awaitingResume;
        /** Paused by the AM: snapshot clean-up must not resume it. */
        boolean pausedByCaller;
        /** The host TCP port forwarded to the guest's SSH server, or 0 for a VM without guest access. */
        final int sshPort;
        /**
         * A user list the guest has not applied yet (it was paused, or restored with an older list), sent when
         * it runs again; null when the guest is up to date.
         */
        List<GuestUser> pendingUsers;

        VmEntry(String name, String slice, List<PortBinding> ports, String restoredFrom, Path ownOverlay, int sshPort) {
            this(name, slice, ports, restoredFrom, ownOverlay, null, sshPort);
        }

        VmEntry(String name, String slice, List<PortBinding> ports, String restoredFrom, Path ownOverlay, Path ownSeed, int sshPort) {
            this.ownSeed = ownSeed;
            this.name = name;
            this.slice = slice;
            this.ports = new ArrayList<>(ports);
            this.restoredFrom = restoredFrom;
            this.ownOverlay = ownOverlay;
            this.sshPort = sshPort;
        }
    }

    /** A slice snapshot between prepare and commit or abort. */
    private static final class Job {
        final SnapshotPlan plan;
        final Path staging;
        final long expectedBytes;
        /** Bytes each VM's save has written so far, updated from the driver's threads. */
        final Map<String, Long> written = new ConcurrentHashMap<>();
        volatile String phase = "prepared";
        /** Filled when the take succeeds; read at commit. */
        final Map<String, VmSnapshotService.Taken> taken = new ConcurrentHashMap<>();
        final List<VmCut> cuts = new ArrayList<>();
        /**
         * Each port's lifetime held and dropped counts when the take started: the snapshot reports what happened
         * since, not frames held at an earlier cut or while a restore was suspended.
         */
        final Map<PortId, long[]> countersAtTake = new ConcurrentHashMap<>();

        Job(SnapshotPlan plan, Path staging, long expectedBytes) {
            this.plan = plan;
            this.staging = staging;
            this.expectedBytes = expectedBytes;
        }
    }

    private final AgentSettings settings;
    private final HypervisorDriver driver;
    private final VirtualSwitch vswitch;
    private final Path storeRoot;
    private final Timing timing;
    /** Runs the per-VM snapshot and restore tasks in parallel; owned by the caller. */
    private final ExecutorService workers;
    /** Free bytes of the file system holding a path; injected so tests can simulate a full disk. */
    private final ToLongFunction<Path> freeSpace;

    /** Guards every map below; never held across a hypervisor call that may take long (snapshot, restore). */
    private final Object lock = new Object();

    /** A part being copied here from another host: what it should be and where its files gather. */
    private record ImportJob(SnapshotPart part, Path staging, Map<String, PartFile> files) {
    }
    // @GuardedBy("lock")
    private final Map<String, VmEntry> vms = new LinkedHashMap<>();
    // @GuardedBy("lock") names of VMs being started, reserved so nobody else takes them
    private final Set<String> creating = new HashSet<>();
    // @GuardedBy("lock")
    private final Map<SegmentId, SegmentSpec> segments = new HashMap<>();
    // @GuardedBy("lock") tunnel peers per segment, as "host:port"
    private final Map<SegmentId, Set<String>> tunnels = new HashMap<>();
    // @GuardedBy("lock")
    private final Map<String, Job> jobs = new HashMap<>();
    // @GuardedBy("lock") imports in progress by "snapshotId/vm"
    private final Map<String, ImportJob> imports = new HashMap<>();
    // @GuardedBy("lock")
    private final PortPool ports;
    // @GuardedBy("lock") host TCP ports of SSH forwards
    private final PortPool sshPorts;
    /**
     * How much earlier than a cut instant a VM's snapshot request starts, learned from past cuts (the pause lands a
     * few milliseconds after the request starts: store directory, QMP round trips); nanoseconds, 0..MAX_CUT_LEAD.
     */
    private final java.util.concurrent.atomic.AtomicLong cutLeadNanos = new java.util.concurrent.atomic.AtomicLong();
    private static final long MAX_CUT_LEAD = Duration.ofMillis(20).toNanos();

    private LocalHostAgent(AgentSettings settings, HypervisorDriver driver, VirtualSwitch vswitch, Path storeRoot, Timing timing,
            ExecutorService workers, ToLongFunction<Path> freeSpace) {
        this.settings = settings;
        this.driver = driver;
        this.vswitch = vswitch;
        this.storeRoot = storeRoot;
        this.timing = timing;
        this.workers = workers;
        this.freeSpace = freeSpace;
        this.ports = new PortPool(PortPool.Kind.UDP, settings.vmHost(), settings.vmPortFirst(), settings.vmPortLast());
        this.sshPorts = new PortPool(PortPool.Kind.TCP, settings.sshBind(), settings.sshPortFirst(), settings.sshPortLast());
    }

    /**
     * Opens the agent over its store directory, deleting snapshots that never committed and quarantining ones
     * whose manifest is damaged.
     */
    public static LocalHostAgent open(AgentSettings settings, HypervisorDriver driver, VirtualSwitch vswitch, Path storeRoot,
            Timing timing, ExecutorService workers, ToLongFunction<Path> freeSpace) throws IOException {
        Files.createDirectories(storeRoot);
        Files.createDirectories(settings.diskDirectory());
        recover(storeRoot);
        return new LocalHostAgent(settings, driver, vswitch, storeRoot, timing, workers,
                freeSpace == null ? LocalHostAgent::usableSpace : freeSpace);
    }

    /** The free space the file system of {@code p} offers to unprivileged writers. */
    public static long usableSpace(Path p) {
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Removes incomplete snapshots (staging directories, no manifest) and quarantines unreadable ones. */
    static List<String> recover(Path root) throws IOException {
        List<String> removed = new ArrayList<>();
        if (Files.exists(root.resolve(IMPORTS))) {
            deleteTree(root.resolve(IMPORTS));
            removed.add(IMPORTS);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || !Files.isDirectory(d)) {
                    continue;
                }
                if (name.endsWith(PARTIAL) || !Files.exists(d.resolve(MANIFEST))) {
                    deleteTree(d);
                    removed.add(name);
                    continue;
                }
                try {
                    readManifest(d);
                } catch (IOException e) {
                    Path q = root.resolve(QUARANTINE);
                    Files.createDirectories(q);
                    Files.move(d, q.resolve(name + "." + System.nanoTime()));
                    removed.add(name + " (quarantined: " + e.getMessage() + ")");
                }
            }
        }
        if (!removed.isEmpty()) {
            LOG.warn("snapshot store {}: cleaned up incomplete or damaged snapshots {}", root, removed);
        }
        return removed;
    }

    // ---- host ----

    @Override
    public HostInfo info() throws HostException {
        Capabilities caps = capabilities();
        int running;
        synchronized (lock) {
            running = vms.size();
        }
        return new HostInfo(settings.hostId(), caps.hypervisor(), caps.version(), caps.accelerator(), caps.modes(),
                freeSpace.applyAsLong(storeRoot), settings.tunnelEndpoint(), new ArrayList<>(new TreeMap<>(settings.images()).keySet()),
                settings.maxVms(), running, driver.offersGuestAccess());
    }

    private Capabilities capabilities() throws HostException {
        try {
            return driver.capabilities();
        } catch (DriverException e) {
            throw new HostException(Reason.INTERNAL, "the hypervisor cannot be queried: " + e.getMessage(), e);
        }
    }

    // ---- segments ----

    @Override
    public void createSegment(SegmentSpec segment) throws HostException {
        SegmentId id = new SegmentId(segment.slice(), segment.link());
        synchronized (lock) {
            SegmentSpec old = segments.get(id);
            if (old != null) {
                if (old.equals(segment)) {
                    return;
                }
                throw new HostException(Reason.CONFLICT, "segment " + id + " exists with vni " + old.vni() + " and policy " + old.policy());
            }
            for (SegmentSpec s : segments.values()) {
                if (s.vni() == segment.vni()) {
                    throw new HostException(Reason.CONFLICT, "vni " + segment.vni() + " is already used by segment " + s.slice() + "/" + s.link());
                }
            }
            try {
                vswitch.createSegment(id, segment.vni(), segment.policy());
            } catch (RuntimeException e) {
                throw new HostException(Reason.BAD_REQUEST, "cannot create segment " + id + ": " + e.getMessage(), e);
            }
            segments.put(id, segment);
        }
    }

    @Override
    public void connectSegment(String slice, String link, String remoteTunnelEndpoint) throws HostException {
        SegmentId id = new SegmentId(slice, link);
        InetSocketAddress remote = endpoint(remoteTunnelEndpoint);
        synchronized (lock) {
            if (!segments.containsKey(id)) {
                throw new HostException(Reason.BAD_REQUEST, "no segment " + id + " on this host; create it first");
            }
            Set<String> peers = tunnels.computeIfAbsent(id, k -> new HashSet<>());
            if (peers.contains(remoteTunnelEndpoint)) {
                return;
            }
            try {
                vswitch.addTunnelPeer(new PortId(id, "tunnel:" + remoteTunnelEndpoint), remote);
            } catch (RuntimeException e) {
                throw new HostException(Reason.BAD_REQUEST, "cannot join " + id + " to " + remoteTunnelEndpoint + ": " + e.getMessage(), e);
            }
            peers.add(remoteTunnelEndpoint);
        }
    }

    private static InetSocketAddress endpoint(String hostPort) throws HostException {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new HostException(Reason.BAD_REQUEST, "tunnel endpoint must be host:port, got " + hostPort);
        }
        try {
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            InetSocketAddress a = new InetSocketAddress(hostPort.substring(0, colon), port);
            if (a.isUnresolved()) {
                throw new HostException(Reason.BAD_REQUEST, "tunnel endpoint host " + hostPort.substring(0, colon) + " does not resolve");
            }
            return a;
        } catch (IllegalArgumentException e) {
            throw new HostException(Reason.BAD_REQUEST, "bad tunnel endpoint " + hostPort + ": " + e.getMessage());
        }
    }

    @Override
    public void removeSegment(String slice, String link) throws HostException {
        SegmentId id = new SegmentId(slice, link);
        synchronized (lock) {
            if (segments.remove(id) == null) {
                return;
            }
            tunnels.remove(id);
            for (VmEntry v : vms.values()) {
                v.ports.removeIf(b -> b.port().segment().equals(id));
            }
            try {
                vswitch.removeSegment(id);
            } catch (RuntimeException e) {
                throw new HostException(Reason.INTERNAL, "cannot remove segment " + id + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- VMs ----

    @Override
    public VmInfo createVm(VmRequest request) throws HostException {
        checkId("VM name", request.name());
        ImageSpec image = settings.images().get(request.image());
        if (image == null) {
            throw new HostException(Reason.BAD_REQUEST, "unknown image '" + request.image() + "'; this host offers "
                    + new TreeMap<>(settings.images()).keySet());
        }
        if (request.memoryMiB() < 16 || request.vcpus() < 1) {
            throw new HostException(Reason.BAD_REQUEST, "a VM needs at least 16 MiB and 1 vCPU");
        }
        // A disk-booted image has no kernel command line: its guest settings are not delivered (docs/guest-access.md).
        String cmdline = image.bootsFromDisk() ? "" : cmdline(image, request);
        GuestAccess access;
        try {
            access = request.users() == null ? null : new GuestAccess(request.users());
        } catch (IllegalArgumentException e) {
            throw new HostException(Reason.BAD_REQUEST, "users of " + request.name() + ": " + e.getMessage());
        }
        if (access != null && request.nics().stream().anyMatch(n -> n.id().equals(CONTROL_NIC))) {
            throw new HostException(Reason.BAD_REQUEST, "NIC id '" + CONTROL_NIC + "' is reserved for the SSH control NIC");
        }
        List<PortBinding> bindings = new ArrayList<>();
        List<NicSpec> nics = new ArrayList<>();
        int sshPort = 0;
        // Phase 1, under the lock: reserve the name and the switch ports (fast).
        synchronized (lock) {
            if (vms.containsKey(request.name()) || creating.contains(request.name())) {
                throw new HostException(Reason.CONFLICT, "a VM named '" + request.name() + "' already exists on this host");
            }
            if (vms.size() + creating.size() >= settings.maxVms()) {
                throw new HostException(Reason.BAD_REQUEST, "this host runs its maximum of " + settings.maxVms() + " VMs");
            }
            try {
                for (VmRequest.NicRequest n : request.nics()) {
                    SegmentSpec seg = segments.get(new SegmentId(request.slice(), n.link()));
                    if (seg == null) {
                        throw new HostException(Reason.BAD_REQUEST, "NIC " + n.id() + " of " + request.name() + ": no segment "
                                + request.slice() + "/" + n.link() + " on this host");
                    }
                    PortBinding b = bindPort(request.name(), n.id(), seg);
                    bindings.add(b);
                    nics.add(nic(n.id(), n.mac(), b));
                }
                if (access != null) {
                    sshPort = takeSshPort(0);
                    nics.add(controlNic(request.name(), sshPort));
                }
            } catch (HostException | IllegalArgumentException e) {
                bindings.forEach(this::unbindPort);
                releaseSshPort(sshPort);
                if (e instanceof HostException he) {
                    throw he;
                }
                throw new HostException(Reason.BAD_REQUEST, "cannot create VM " + request.name() + ": " + e.getMessage(), e);
            }
            creating.add(request.name());
        }
        // Phase 2, without the lock: disk overlay and QEMU start (can take seconds).
        Path overlay = null;
        Path seed = null;
        boolean created = false;
        try {
            List<DiskSpec> disks = new ArrayList<>();
            if (image.disk() != null) {
                overlay = createOverlay(request.name(), image.disk());
                disks.add(new DiskSpec("disk0", overlay, driver.writableDisk() == HypervisorDriver.WritableDisk.RAW_COPY ? "raw" : "qcow2"));
            }
            if (image.cloudInit()) {
                long now = timing.clock().millis();
                seed = settings.diskDirectory().resolve(request.name() + "-" + now + "-seed.iso").toAbsolutePath();
                writeSeed(seed, seedFor(request, nics, access, now));
                disks.add(new DiskSpec(SEED_DISK, seed, "raw", true));
            }
            BootSource boot = image.bootsFromDisk() ? new BootSource.Disk() : new BootSource.Kernel(image.kernel(), image.initrd(), cmdline);
            VmSpec spec = new VmSpec(request.name(), request.memoryMiB(), request.vcpus(), boot, disks, nics, access);
            driver.create(spec);
            try {
                driver.start(spec.name());
            } catch (DriverException e) {
                driver.destroy(spec.name());
                throw e;
            }
            created = true;
        } catch (DriverException | IOException | IllegalArgumentException e) {
            Reason r = e instanceof IllegalArgumentException ? Reason.BAD_REQUEST : Reason.INTERNAL;
            throw new HostException(r, "cannot create VM " + request.name() + ": " + e.getMessage(), e);
        } finally {
            synchronized (lock) {
                creating.remove(request.name());
                if (created) {
                    vms.put(request.name(), new VmEntry(request.name(), request.slice(), bindings, "", overlay, seed, sshPort));
                } else {
                    bindings.forEach(this::unbindPort);
                    releaseSshPort(sshPort);
                }
            }
            if (!created) {
                deleteQuietly(overlay);
                deleteQuietly(seed);
            }
        }
        LOG.info("created VM {} of slice {} ({} MiB, image {}, {} NICs)", request.name(), request.slice(), request.memoryMiB(),
                request.image(), request.nics().size());
        return vm(request.name());
    }

    /**
     * The NoCloud seed of a new VM of a cloud image: host name from the VM name, a fresh instance id (so cloud-init
     * runs its per-instance modules, users among them, on this VM's first boot), the users (none when the request
     * has none), and the NICs by MAC: experiment NICs with their address, the control NIC by DHCP.
     */
    static NoCloudSeed seedFor(VmRequest request, List<NicSpec> nics, GuestAccess access, long nowMillis) throws HostException {
        List<NoCloudSeed.Interface> ifs = new ArrayList<>();
        Map<String, String> ips = new java.util.HashMap<>();
        request.nics().forEach(n -> ips.put(n.id(), n.ip() == null || n.ip().isBlank() ? null : n.ip().strip()));
        try {
            int i = 0;
            for (NicSpec n : nics) {
                boolean control = n.id().equals(CONTROL_NIC) && n.attachment() instanceof NetworkAttachment.HostForward;
                String name = control ? CONTROL_NIC : n.id().matches("[a-z][a-z0-9]{0,14}") && !n.id().equals(CONTROL_NIC) ? n.id() : "nic" + i;
                ifs.add(new NoCloudSeed.Interface(name, n.mac(), control, control ? null : ips.get(n.id())));
                i++;
            }
            String iid = "vnsnap-" + request.name() + "-" + Long.toString(nowMillis, 36);
            return new NoCloudSeed(iid, NoCloudSeed.hostnameFor(request.name()), access == null ? List.of() : access.users(), ifs);
        } catch (IllegalArgumentException e) {
            throw new HostException(Reason.BAD_REQUEST, "cloud-init seed of " + request.name() + ": " + e.getMessage(), e);
        }
    }

    private static void writeSeed(Path target, NoCloudSeed seed) throws DriverException {
        try {
            new SeedImageWriter().write(seed, target);
        } catch (SeedImageWriter.SeedImageException e) {
            throw new DriverException(e.getMessage(), e);
        }
    }

    /** True for a VM that got a NoCloud seed (its spec has the read-only seed drive); checked on the driver's spec. */
    private boolean hasSeed(String vm) {
        try {
            return driver.spec(vm).disks().stream().anyMatch(d -> d.id().equals(SEED_DISK) && d.readOnly());
        } catch (DriverException e) {
            return false;
        }
    }

    /** The image's command line plus the guest's name, first address and settings, as the test guest's /init reads them. */
    static String cmdline(ImageSpec image, VmRequest request) throws HostException {
        StringBuilder b = new StringBuilder(image.cmdline());
        Map<String, String> guest = new TreeMap<>(request.guestConfig());
        if (!guest.containsKey("name")) {
            b.append(" vm.name=").append(request.name());
        }
        if (!guest.containsKey("ip")) {
            request.nics().stream().filter(n -> n.ip() != null && !n.ip().isBlank()).findFirst()
                    .ifPresent(n -> b.append(" vm.ip=").append(n.ip().strip()));
        }
        for (Map.Entry<String, String> e : guest.entrySet()) {
            if (!GUEST_KEY.matcher(e.getKey()).matches()) {
                throw new HostException(Reason.BAD_REQUEST, "guest setting '" + e.getKey() + "' must match " + GUEST_KEY.pattern());
            }
            String v = e.getValue().strip().replace(' ', '+');
            if (v.chars().anyMatch(c -> Character.isWhitespace(c) || c < 0x20 || c == '"')) {
                throw new HostException(Reason.BAD_REQUEST, "guest setting '" + e.getKey() + "' has characters a kernel command line cannot carry");
            }
            b.append(" vm.").append(e.getKey()).append('=').append(v);
        }
        String s = b.toString().strip();
        if (s.length() > 2000) {
            throw new HostException(Reason.BAD_REQUEST, "the guest's kernel command line would be " + s.length() + " characters (limit 2000)");
        }
        return s;
    }

    /**
     * Takes an SSH forward port: {@code preferred} when it is free (a restore keeps its old port if it can),
     * else the next free one of the range.
     */
    // @GuardedBy("lock")
    private int takeSshPort(int preferred) throws HostException {
        if (preferred > 0 && sshPorts.take(preferred)) {
            return preferred;
        }
        int p = sshPorts.take();
        if (p < 0) {
            throw new HostException(Reason.BAD_REQUEST, "no free SSH port left in " + settings.sshPortFirst() + "-" + settings.sshPortLast()
                    + " on " + settings.sshBind());
        }
        return p;
    }

    // @GuardedBy("lock")
    private void releaseSshPort(int port) {
        if (port > 0) {
            sshPorts.release(port);
        }
    }

    /** The control NIC: user-mode networking with the host port forwarded to the guest's SSH server. */
    private NicSpec controlNic(String vm, int port) {
        return new NicSpec(CONTROL_NIC, controlMac(vm), new NetworkAttachment.HostForward(settings.sshBind(), port, GUEST_SSH_PORT));
    }

    /** A locally administered MAC from the VM name; each control NIC is alone on its private network, so only stability matters. */
    static String controlMac(String vm) {
        int h = vm.hashCode();
        return String.format("06:56:4e:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
    }

    private static NicSpec nic(String id, String mac, PortBinding b) {
        return new NicSpec(id, mac, new NetworkAttachment.UdpTunnel(b.switchAddress().getHostString(), b.vmPort(),
                b.switchAddress().getHostString(), b.switchAddress().getPort()));
    }

    // @GuardedBy("lock")
    private PortBinding bindPort(String vm, String nic, SegmentSpec seg) throws HostException {
        int vmPort = ports.take();
        if (vmPort < 0) {
            throw new HostException(Reason.BAD_REQUEST, "no free UDP port left in " + settings.vmPortFirst() + "-" + settings.vmPortLast());
        }
        PortId id = new PortId(new SegmentId(seg.slice(), seg.link()), vm + "." + nic);
        try {
            InetSocketAddress sw = vswitch.addPort(id, new InetSocketAddress(settings.vmHost(), 0),
                    new InetSocketAddress(settings.vmHost(), vmPort));
            return new PortBinding(nic, seg, id, sw, vmPort);
        } catch (RuntimeException e) {
            ports.release(vmPort);
            throw new HostException(Reason.INTERNAL, "cannot add switch port " + id + ": " + e.getMessage(), e);
        }
    }

    // @GuardedBy("lock")
    private void unbindPort(PortBinding b) {
        try {
            vswitch.removePort(b.port());
        } catch (RuntimeException e) {
            LOG.debug("port {} already gone: {}", b.port(), e.getMessage());
        }
        ports.release(b.vmPort());
    }

    /** The VM's own writable disk on the image's disk: a qcow2 overlay, or a raw copy where the driver reads only raw. */
    private Path createOverlay(String vm, Path base) throws IOException, DriverException {
        if (driver.writableDisk() == HypervisorDriver.WritableDisk.RAW_COPY) {
            if (base.toString().endsWith(".qcow2")) {
                throw new DriverException("the disk " + base + " of " + vm + "'s image is qcow2, but this host's hypervisor reads raw disks"
                        + " only; convert it with qemu-img convert -O raw");
            }
            Path copy = settings.diskDirectory().resolve(vm + "-" + System.currentTimeMillis() + ".raw").toAbsolutePath();
            RawDisks.copy(base, copy);
            return copy;
        }
        Path file = settings.diskDirectory().resolve(vm + "-" + System.currentTimeMillis() + ".qcow2").toAbsolutePath();
        String format = base.toString().endsWith(".qcow2") ? "qcow2" : "raw";
        Process p = new ProcessBuilder(settings.qemuImg().toString(), "create", "-q", "-f", "qcow2", "-b",
                base.toAbsolutePath().toString(), "-F", format, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new DriverException("qemu-img could not create the disk overlay of " + vm + ": " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted creating the disk overlay of " + vm);
        }
        return file;
    }

    @Override
    public VmInfo vm(String name) throws HostException {
        VmEntry e;
        synchronized (lock) {
            e = vms.get(name);
        }
        if (e == null) {
            throw new HostException(Reason.NO_SUCH_VM, "no VM named '" + name + "' on this host");
        }
        return info(e);
    }

    private VmInfo info(VmEntry e) throws HostException {
        try {
            VmState st = driver.state(e.name);
            String log = driver.consoleLog(e.name).map(Path::toString).orElse("");
            return new VmInfo(e.name, e.slice, st, e.restoredFrom, log, ssh(e));
        } catch (NoSuchVmException x) {
            return new VmInfo(e.name, e.slice, VmState.SHUTOFF, e.restoredFrom, "", ssh(e));
        } catch (DriverException x) {
            throw new HostException(Reason.INTERNAL, "cannot read the state of " + e.name + ": " + x.getMessage(), x);
        }
    }

    /** The users a VM with guest access was last given (applied or pending), if it exists and has access. */
    private Optional<List<GuestUser>> currentUsers(String vm) {
        VmEntry e;
        synchronized (lock) {
            e = vms.get(vm);
            if (e == null || e.sshPort == 0) {
                return Optional.empty();
            }
            if (e.pendingUsers != null) {
                return Optional.of(e.pendingUsers);
            }
        }
        try {
            GuestAccess a = driver.spec(vm).access();
            return a == null ? Optional.empty() : Optional.of(a.users());
        } catch (DriverException x) {
            return Optional.empty();
        }
    }

    private SshEndpoint ssh(VmEntry e) {
        return e.sshPort == 0 ? null : new SshEndpoint(settings.sshAddress(), e.sshPort);
    }

    @Override
    public List<VmInfo> vms() throws HostException {
        List<VmEntry> all;
        synchronized (lock) {
            all = new ArrayList<>(vms.values());
        }
        List<VmInfo> out = new ArrayList<>();
        for (VmEntry e : all) {
            out.add(info(e));
        }
        return out;
    }

    @Override
    public void pauseVm(String name) throws HostException {
        VmEntry e = entry(name);
        try {
            driver.pause(name);
            synchronized (lock) {
                e.pausedByCaller = true;
            }
        } catch (DriverException x) {
            throw driverFailure(name, "pause", x);
        }
    }

    @Override
    public void resumeVm(String name) throws HostException {
        VmEntry e = entry(name);
        try {
            List<PortBinding> release;
            synchronized (lock) {
                release = e.awaitingResume ? List.copyOf(e.ports) : List.of();
                e.awaitingResume = false;
                e.pausedByCaller = false;
            }
            for (PortBinding b : release) {
                vswitch.resume(b.port());
            }
            driver.resume(name);
        } catch (DriverException x) {
            throw driverFailure(name, "resume", x);
        }
        applyPendingUsers(e);
    }

    @Override
    public void updateUsers(String name, List<GuestUser> users) throws HostException {
        VmEntry e = entry(name);
        if (e.sshPort == 0) {
            throw new HostException(Reason.UNSUPPORTED_MODE, "VM " + name + " was created without guest access (no users in its request)");
        }
        try {
            new GuestAccess(users);
        } catch (IllegalArgumentException x) {
            throw new HostException(Reason.BAD_REQUEST, "users of " + name + ": " + x.getMessage());
        }
        if (hasSeed(name)) {
            // cloud-init reads the seed only at boot, creates users once per instance id, and these VMs never reboot.
            throw new HostException(Reason.UNSUPPORTED_MODE, "VM " + name + " runs a cloud image: cloud-init applied its users at boot "
                    + "from the NoCloud seed and reads no later list; the users given at creation stay (docs/guest-access.md)");
        }
        synchronized (lock) {
            if (e.awaitingResume || e.pausedByCaller) {
                // The guest applies lists only while it runs: keep this one for the resume.
                e.pendingUsers = List.copyOf(users);
                LOG.info("VM {} is paused: its {} users are sent when it resumes", name, users.size());
                return;
            }
            e.pendingUsers = null;
        }
        try {
            driver.updateUsers(name, users);
        } catch (NoSuchVmException x) {
            throw driverFailure(name, "update the users of", x);
        } catch (DriverException x) {
            // E.g. paused for a snapshot's cut right now, or the guest did not answer in time: the caller may retry.
            throw new HostException(Reason.CONFLICT, "cannot update the users of " + name + ": " + x.getMessage(), x);
        }
        LOG.info("VM {}: users now {}", name, users.stream().map(GuestUser::login).toList());
    }

    /** Sends a user list the guest missed while paused or restored; a failure is logged, the list kept for the next try. */
    private void applyPendingUsers(VmEntry e) {
        List<GuestUser> pending;
        synchronized (lock) {
            pending = e.pendingUsers;
            e.pendingUsers = null;
        }
        if (pending == null) {
            return;
        }
        if (hasSeed(e.name)) {
            LOG.info("VM {} runs a cloud image: the newer user list is not sent (cloud-init reads users only at boot)", e.name);
            return;
        }
        try {
            driver.updateUsers(e.name, pending);
            LOG.info("VM {}: sent the users it missed ({})", e.name, pending.stream().map(GuestUser::login).toList());
        } catch (DriverException x) {
            LOG.warn("VM {}: cannot send the users it missed: {}", e.name, x.getMessage());
            synchronized (lock) {
                if (e.pendingUsers == null) {
                    e.pendingUsers = pending;
                }
            }
        }
    }

    private static HostException driverFailure(String vm, String what, DriverException x) {
        if (x instanceof NoSuchVmException) {
            return new HostException(Reason.NO_SUCH_VM, "no VM named '" + vm + "' on this host", x);
        }
        return new HostException(Reason.INTERNAL, "cannot " + what + " " + vm + ": " + x.getMessage(), x);
    }

    private VmEntry entry(String name) throws HostException {
        synchronized (lock) {
            VmEntry e = vms.get(name);
            if (e == null) {
                throw new HostException(Reason.NO_SUCH_VM, "no VM named '" + name + "' on this host");
            }
            return e;
        }
    }

    @Override
    public void destroyVm(String name) throws HostException {
        VmEntry e;
        List<Path> active = List.of();
        synchronized (lock) {
            e = vms.remove(name);
            if (e == null) {
                return;
            }
            try {
                active = driver.spec(name).disks().stream().map(DiskSpec::image).toList();
            } catch (DriverException x) {
                LOG.debug("no spec for {}: {}", name, x.getMessage());
            }
            for (PortBinding b : e.ports) {
                unbindPort(b);
            }
        }
        try {
            driver.destroy(name);
        } catch (DriverException x) {
            throw new HostException(Reason.INTERNAL, "cannot destroy " + name + ": " + x.getMessage(), x);
        } finally {
            synchronized (lock) {
                releaseSshPort(e.sshPort); // after QEMU is gone, so the port is free again when handed out
            }
        }
        // Only the agent's own overlay, and only while it is still the VM's top image (no snapshot froze it).
        if (e.ownOverlay != null && active.contains(e.ownOverlay)) {
            deleteQuietly(e.ownOverlay);
        }
        if (e.ownSeed != null && active.contains(e.ownSeed)) {
            deleteQuietly(e.ownSeed);
        }
        LOG.info("destroyed VM {}", name);
    }

    // ---- snapshot, phase 1 ----

    @Override
    public PrepareResult prepareSnapshot(SnapshotPlan plan) throws HostException {
        checkId("snapshot id", plan.snapshotId());
        Capabilities caps = capabilities();
        List<String> problems = new ArrayList<>();
        if (!caps.modes().contains(plan.mode())) {
            problems.add("mode " + name(plan.mode()) + " is not supported consistently by " + caps.hypervisor() + " " + caps.version()
                    + " (" + caps.accelerator() + "); supported: " + caps.modes().stream().map(LocalHostAgent::name).sorted().toList());
        }
        long required = 1 << 20;
        synchronized (lock) {
            if (jobs.containsKey(plan.snapshotId()) || Files.exists(storeRoot.resolve(plan.snapshotId()))) {
                throw new HostException(Reason.CONFLICT, "snapshot " + plan.snapshotId() + " already exists on this host");
            }
            if (plan.vms().isEmpty()) {
                problems.add("the plan names no VM on this host");
            }
            Set<String> busy = new HashSet<>();
            for (Job j : jobs.values()) {
                if (!j.phase.equals("failed")) {
                    busy.addAll(j.plan.vms());
                }
            }
            for (String vm : plan.vms()) {
                VmEntry e = vms.get(vm);
                if (e == null) {
                    problems.add("no VM named '" + vm + "' on this host");
                    continue;
                }
                if (!e.slice.equals(plan.slice())) {
                    problems.add("VM " + vm + " belongs to slice " + e.slice + ", not " + plan.slice());
                }
                if (busy.contains(vm)) {
                    problems.add("VM " + vm + " is part of another snapshot in progress");
                }
                if (e.awaitingResume) {
                    problems.add("VM " + vm + " is restored and waits to be resumed");
                }
                for (PortBinding b : e.ports) {
                    int epoch = vswitch.epoch(b.port());
                    if (epoch >= plan.epoch()) {
                        problems.add("port " + b.port() + " is already at epoch " + epoch + " (plan epoch " + plan.epoch() + ")");
                    }
                }
                try {
                    VmSpec spec = driver.spec(vm);
                    required += (long) spec.memoryMiB() << 20;
                    if (plan.includeDisk()) {
                        for (DiskSpec d : spec.disks()) {
                            required += Files.size(d.image());
                        }
                    }
                } catch (DriverException | IOException x) {
                    problems.add("cannot read the devices of " + vm + ": " + x.getMessage());
                }
            }
        }
        long free = freeSpace.applyAsLong(storeRoot);
        if (free < required) {
            problems.add("the snapshot store has " + mib(free) + " MiB free, the snapshot needs about " + mib(required) + " MiB");
        }
        if (!problems.isEmpty()) {
            LOG.info("snapshot {} not ready: {}", plan.snapshotId(), problems);
            return new PrepareResult(false, required, free, problems);
        }
        Path staging = storeRoot.resolve(plan.snapshotId() + PARTIAL);
        synchronized (lock) {
            if (jobs.containsKey(plan.snapshotId())) {
                throw new HostException(Reason.CONFLICT, "snapshot " + plan.snapshotId() + " already exists on this host");
            }
            try {
                Files.createDirectories(staging.resolve("vms"));
                Files.createDirectories(staging.resolve("channels"));
            } catch (IOException e) {
                throw new HostException(Reason.INTERNAL, "cannot reserve " + staging + ": " + e.getMessage(), e);
            }
            jobs.put(plan.snapshotId(), new Job(plan, staging, required));
        }
        LOG.info("prepared snapshot {} of slice {} (epoch {}, {}, VMs {})", plan.snapshotId(), plan.slice(), plan.epoch(),
                name(plan.mode()), plan.vms());
        return new PrepareResult(true, required, free, List.of());
    }

    // ---- snapshot, phase 2 ----

    @Override
    public List<VmCut> takeSnapshot(String snapshotId, Instant cutAt) throws HostException {
        Job job;
        Map<String, List<PortBinding>> portsOf = new LinkedHashMap<>();
        synchronized (lock) {
            job = jobs.get(snapshotId);
            if (job == null) {
                throw new HostException(Reason.NO_SUCH_SNAPSHOT, "snapshot " + snapshotId + " is not prepared on this host");
            }
            if (!job.phase.equals("prepared")) {
                throw new HostException(Reason.CONFLICT, "snapshot " + snapshotId + " is " + job.phase + ", not prepared");
            }
            for (String vm : job.plan.vms()) {
                VmEntry e = vms.get(vm);
                if (e == null) {
                    throw new HostException(Reason.NO_SUCH_VM, "VM " + vm + " of snapshot " + snapshotId + " is gone");
                }
                portsOf.put(vm, List.copyOf(e.ports));
            }
            job.phase = "taking";
        }
        Instant now = timing.clock().instant();
        if (cutAt != null && cutAt.isAfter(now.plus(MAX_CUT_DELAY))) {
            job.phase = "prepared";
            throw new HostException(Reason.BAD_REQUEST, "cut instant " + cutAt + " is more than " + MAX_CUT_DELAY.toMinutes()
                    + " minutes ahead");
        }
        SnapshotStore vmStore;
        try {
            vmStore = SnapshotStore.open(job.staging.resolve("vms"), timing.clock());
        } catch (StoreException e) {
            job.phase = "failed";
            throw new HostException(Reason.SNAPSHOT_FAILED, "cannot open the snapshot directory: " + e.getMessage(), e);
        }
        VmSnapshotService service = new VmSnapshotService(driver, vmStore);
        int epoch = job.plan.epoch();
        Instant start = cutAt == null ? null : cutAt.minusNanos(cutLeadNanos.get());
        Map<String, Future<VmSnapshotService.Taken>> futures = new LinkedHashMap<>();
        // When each VM's images were checksummed and stored: the end of its last step, which the driver does not time.
        Map<String, Instant> storedAt = new java.util.concurrent.ConcurrentHashMap<>();
        for (List<PortBinding> bs : portsOf.values()) {
            for (PortBinding b : bs) {
                try {
                    PortCounters c = vswitch.counters(b.port());
                    job.countersAtTake.put(b.port(), new long[] {c.heldTotal(), c.droppedTotal()});
                } catch (RuntimeException e) {
                    LOG.debug("port {} is gone; its cut will fail the take: {}", b.port(), e.getMessage());
                }
            }
        }
        for (Map.Entry<String, List<PortBinding>> v : portsOf.entrySet()) {
            String vm = v.getKey();
            CutHook hook = new CutHook() {
                @Override
                public void beforePause(String name) {
                    for (PortBinding b : v.getValue()) {
                        vswitch.beginPause(b.port());
                    }
                }

                @Override
                public void undeliveredAtCut(String name, String nic, List<byte[]> frames) {
                    for (PortBinding b : v.getValue()) {
                        if (b.nic().equals(nic)) {
                            vswitch.recordUndelivered(b.port(), epoch, frames);
                        }
                    }
                }

                @Override
                public void atCut(String name, Instant pausedAt) {
                    for (PortBinding b : v.getValue()) {
                        vswitch.advanceEpoch(b.port(), epoch);
                    }
                }

                @Override
                public void afterResume(String name) {
                    for (PortBinding b : v.getValue()) {
                        vswitch.endPause(b.port());
                    }
                }
            };
            SnapshotRequest req = new SnapshotRequest(job.plan.mode(), job.staging.resolve("unused"), hook,
                    (name, transferred, total, phase) -> job.written.put(name, transferred), 0, null, settings.snapshotTimeout());
            futures.put(vm, workers.submit(() -> {
                timing.awaitInstant(start);
                try {
                    VmSnapshotService.Taken t = service.snapshot(vm, req);
                    storedAt.put(vm, timing.clock().instant());
                    return t;
                } finally {
                    // After a failure between the pause and the cut the ports still hold the VM's frames; after a
                    // successful snapshot afterResume has delivered them already, unless the driver never calls it.
                    for (PortBinding b : v.getValue()) {
                        try {
                            vswitch.endPause(b.port());
                        } catch (RuntimeException e) {
                            LOG.debug("{}: port {} is gone: {}", vm, b.port(), e.getMessage());
                        }
                    }
                }
            }));
        }
        List<String> failures = new ArrayList<>();
        boolean unsupported = false;
        long deadline = System.nanoTime() + settings.snapshotTimeout().plusMinutes(1).toNanos()
                + (cutAt == null ? 0 : Math.max(0, Duration.between(now, cutAt).toNanos()));
        for (Map.Entry<String, Future<VmSnapshotService.Taken>> f : futures.entrySet()) {
            try {
                VmSnapshotService.Taken t = f.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                job.taken.put(f.getKey(), t);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                unsupported |= c instanceof UnsupportedModeException;
                failures.add(f.getKey() + ": " + c.getMessage());
                LOG.warn("snapshot {} of VM {} failed", snapshotId, f.getKey(), c);
            } catch (TimeoutException e) {
                f.getValue().cancel(true);
                failures.add(f.getKey() + ": did not finish in time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(f.getKey() + ": interrupted");
            }
        }
        ensureRunning(job.plan.vms());
        if (!failures.isEmpty()) {
            job.phase = "failed";
            throw new HostException(unsupported ? Reason.UNSUPPORTED_MODE : Reason.SNAPSHOT_FAILED,
                    "snapshot " + snapshotId + " failed on host " + settings.hostId() + ": " + String.join("; ", failures));
        }
        List<VmCut> cuts = new ArrayList<>();
        for (String vm : job.plan.vms()) {
            cuts.add(cut(vm, job.taken.get(vm), storedAt.get(vm)));
        }
        synchronized (lock) {
            job.cuts.addAll(cuts);
        }
        if (cutAt != null && cutAt.isAfter(now)) {
            learnCutLead(cutAt, cuts);
        }
        job.phase = "taken";
        LOG.info("took snapshot {}: {}", snapshotId, cuts.stream().map(c -> c.vm() + " paused " + c.downtime().toNanos() / 1000 + " us").toList());
        return cuts;
    }

    /**
     * Moves the lead by half the mean lateness of this take's pauses behind the cut instant; one sample moves it by
     * at most half of MAX_CUT_LEAD, so a pause delayed by a busy host does not make the next cuts early.
     */
    private void learnCutLead(Instant cutAt, List<VmCut> cuts) {
        double mean = cuts.stream().mapToLong(c -> Duration.between(cutAt, c.cutAt()).toNanos()).average().orElse(0);
        double late = Math.max(-MAX_CUT_LEAD / 2.0, Math.min(MAX_CUT_LEAD / 2.0, mean));
        long lead = cutLeadNanos.updateAndGet(l -> Math.max(0, Math.min(MAX_CUT_LEAD, l + (long) (late / 2))));
        LOG.debug("cuts landed {} us after the cut instant on average; lead now {} us", (long) late / 1000, lead / 1000);
    }

    /**
     * The VM's cut as reported to the coordinator: the driver's steps plus "store" (checksumming and committing the
     * images into the store), timed from the driver's last step to {@code storedAt} when the driver anchored its steps.
     */
    private static VmCut cut(String vm, VmSnapshotService.Taken t, Instant storedAt) {
        SnapshotResult r = t.result();
        long disk = t.manifest().disks().stream().mapToLong(DiskReference::size).sum();
        Map<String, Duration> phases = new LinkedHashMap<>(r.phases());
        if (r.startedAt() != null && storedAt != null) {
            Instant driverDone = r.startedAt();
            for (Duration d : r.phases().values()) {
                driverDone = driverDone.plus(d);
            }
            Duration store = Duration.between(driverDone, storedAt);
            if (!store.isNegative()) {
                phases.put("store", store);
            }
        }
        return new VmCut(vm, r.cutAt(), r.downtime(), r.total(), r.bytesWritten(), disk, phases, r.startedAt());
    }

    /** Resumes every listed VM the hypervisor left paused, unless the AM paused it itself. */
    private void ensureRunning(List<String> names) {
        for (String vm : names) {
            boolean skip;
            synchronized (lock) {
                VmEntry e = vms.get(vm);
                skip = e == null || e.pausedByCaller || e.awaitingResume;
            }
            if (skip) {
                continue;
            }
            try {
                if (driver.state(vm) == VmState.PAUSED) {
                    LOG.warn("VM {} was left paused; resuming it", vm);
                    driver.resume(vm);
                }
            } catch (DriverException e) {
                LOG.error("cannot make sure VM {} runs: {}", vm, e.getMessage());
            }
        }
    }

    @Override
    public HostSnapshot commitSnapshot(String snapshotId) throws HostException {
        Job job;
        synchronized (lock) {
            job = jobs.get(snapshotId);
        }
        if (job == null) {
            Path done = storeRoot.resolve(checkId("snapshot id", snapshotId));
            if (Files.exists(done.resolve(MANIFEST))) {
                return hostSnapshot(loadManifest(snapshotId), done);
            }
            throw new HostException(Reason.NO_SUCH_SNAPSHOT, "snapshot " + snapshotId + " is not on this host");
        }
        synchronized (lock) {
            if (!job.phase.equals("taken")) {
                throw new HostException(Reason.CONFLICT, "snapshot " + snapshotId + " is " + job.phase + "; only a taken snapshot can commit");
            }
            job.phase = "committing";
        }
        try {
            timing.sleep(settings.commitGrace());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.phase = "taken";
            throw new HostException(Reason.INTERNAL, "interrupted before commit");
        }
        try {
            SliceManifest m = writeChannelStateAndManifest(job);
            Path target = storeRoot.resolve(snapshotId);
            Files.move(job.staging, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(storeRoot);
            synchronized (lock) {
                jobs.remove(snapshotId);
            }
            job.phase = "committed";
            LOG.info("committed snapshot {} ({} VMs, {} in-flight frames recorded)", snapshotId, m.vms().size(), m.framesRecorded());
            return hostSnapshot(m, target);
        } catch (IOException | RuntimeException e) {
            job.phase = "taken";
            throw new HostException(Reason.SNAPSHOT_FAILED, "cannot commit snapshot " + snapshotId + ": " + e.getMessage(), e);
        }
    }

    private SliceManifest writeChannelStateAndManifest(Job job) throws IOException {
        SnapshotPlan plan = job.plan;
        List<SliceManifest.VmEntry> entries = new ArrayList<>();
        long held = 0;
        long dropped = 0;
        for (String vm : plan.vms()) {
            VmSnapshotService.Taken t = job.taken.get(vm);
            List<PortBinding> bindings;
            synchronized (lock) {
                VmEntry e = vms.get(vm);
                bindings = e == null ? List.of() : List.copyOf(e.ports);
            }
            if (bindings.isEmpty() && !t.result().frozenSpec().nics().isEmpty()) {
                LOG.warn("VM {} was destroyed before commit of {}: its channel state is lost", vm, plan.snapshotId());
            }
            List<SliceManifest.PortEntry> portEntries = new ArrayList<>();
            for (PortBinding b : bindings) {
                List<RecordedFrame> frames = vswitch.drainRecorded(b.port(), plan.epoch());
                PortCounters c = vswitch.counters(b.port());
                long[] atTake = job.countersAtTake.getOrDefault(b.port(), new long[2]);
                held += c.heldTotal() - atTake[0];
                dropped += c.droppedTotal() - atTake[1];
                if (c.recordLost() > 0) {
                    LOG.warn("port {} lost {} frames of channel state (record buffer full)", b.port(), c.recordLost());
                }
                String file = "channels/" + vm + "." + b.nic() + ".frames";
                byte[] data = ChannelStateFile.encode(frames);
                writeDurably(job.staging.resolve(file), data);
                portEntries.add(new SliceManifest.PortEntry(b.nic(), b.segment().link(), b.segment().vni(), b.segment().policy().name(),
                        file, frames.size(), data.length, SliceManifestCodec.sha256(data)));
            }
            VmCut cut = cut(vm, t, null);
            Map<String, Long> phases = new LinkedHashMap<>();
            cut.phases().forEach((k, v) -> phases.put(k, v.toNanos() / 1000));
            entries.add(new SliceManifest.VmEntry(vm, t.manifest().id(), cut.cutAt().toString(), cut.downtime().toNanos() / 1000,
                    cut.total().toNanos() / 1000, cut.memoryBytes(), cut.diskBytes(), phases, portEntries));
        }
        SliceManifest m = new SliceManifest(plan.snapshotId(), plan.slice(), plan.epoch(), name(plan.mode()), plan.includeDisk(),
                timing.clock().instant().toString(), entries, held, dropped);
        writeDurably(job.staging.resolve(MANIFEST), SliceManifestCodec.encode(m));
        fsyncDirectory(job.staging.resolve("channels"));
        fsyncDirectory(job.staging);
        return m;
    }

    private HostSnapshot hostSnapshot(SliceManifest m, Path dir) {
        List<VmCut> cuts = new ArrayList<>();
        long bytes = 0;
        for (SliceManifest.VmEntry v : m.vms()) {
            Map<String, Duration> phases = new LinkedHashMap<>();
            v.phaseMicros().forEach((k, us) -> phases.put(k, Duration.ofNanos(us * 1000)));
            cuts.add(new VmCut(v.vm(), Instant.parse(v.cutAt()), Duration.ofNanos(v.downtimeMicros() * 1000),
                    Duration.ofNanos(v.totalMicros() * 1000), v.memoryBytes(), v.diskBytes(), phases));
            bytes += v.memoryBytes() + v.diskBytes();
            bytes += v.ports().stream().mapToLong(SliceManifest.PortEntry::bytes).sum();
        }
        return new HostSnapshot(m.snapshotId(), m.slice(), m.epoch(), SnapshotMode.valueOf(m.mode().toUpperCase(Locale.ROOT)), true,
                Instant.parse(m.createdAt()), cuts, bytes, m.framesRecorded(), m.framesHeld(), m.framesDropped());
    }

    @Override
    public void abortSnapshot(String snapshotId) throws HostException {
        checkId("snapshot id", snapshotId);
        Job job;
        synchronized (lock) {
            job = jobs.get(snapshotId);
            if (job != null && (job.phase.equals("taking") || job.phase.equals("committing"))) {
                throw new HostException(Reason.CONFLICT, "snapshot " + snapshotId + " is " + job.phase + "; abort it once that returns");
            }
            jobs.remove(snapshotId);
        }
        if (job == null) {
            return;
        }
        job.phase = "aborted";
        List<PortBinding> bindings = new ArrayList<>();
        synchronized (lock) {
            for (String vm : job.plan.vms()) {
                VmEntry e = vms.get(vm);
                if (e != null) {
                    bindings.addAll(e.ports);
                }
            }
        }
        for (PortBinding b : bindings) {
            try {
                vswitch.drainRecorded(b.port(), job.plan.epoch()); // frees the pool slots of the abandoned channel state
            } catch (RuntimeException e) {
                LOG.debug("cannot drain {}: {}", b.port(), e.getMessage());
            }
        }
        try {
            deleteTree(job.staging);
        } catch (IOException e) {
            throw new HostException(Reason.INTERNAL, "cannot delete the files of snapshot " + snapshotId + ": " + e.getMessage(), e);
        } finally {
            ensureRunning(job.plan.vms());
        }
        LOG.info("aborted snapshot {}", snapshotId);
    }

    @Override
    public SnapshotProgress progress(String snapshotId) throws HostException {
        Job job;
        synchronized (lock) {
            job = jobs.get(snapshotId);
        }
        if (job != null) {
            long written = job.written.values().stream().mapToLong(Long::longValue).sum();
            return new SnapshotProgress(snapshotId, job.phase, written, job.expectedBytes);
        }
        Path done = storeRoot.resolve(checkId("snapshot id", snapshotId));
        if (Files.exists(done.resolve(MANIFEST))) {
            HostSnapshot s = hostSnapshot(loadManifest(snapshotId), done);
            return new SnapshotProgress(snapshotId, "committed", s.bytes(), s.bytes());
        }
        throw new HostException(Reason.NO_SUCH_SNAPSHOT, "snapshot " + snapshotId + " is not on this host");
    }

    @Override
    public List<HostSnapshot> snapshots() throws HostException {
        List<HostSnapshot> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(storeRoot)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || name.endsWith(PARTIAL) || !Files.exists(d.resolve(MANIFEST))) {
                    continue;
                }
                try {
                    out.add(hostSnapshot(readManifest(d), d));
                } catch (IOException e) {
                    LOG.warn("skipping snapshot {}: {}", d, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new HostException(Reason.INTERNAL, "cannot list the snapshot store: " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(HostSnapshot::createdAt).thenComparing(HostSnapshot::snapshotId));
        return out;
    }

    @Override
    public void deleteSnapshot(String snapshotId) throws HostException {
        Path d = storeRoot.resolve(checkId("snapshot id", snapshotId));
        synchronized (lock) {
            if (jobs.containsKey(snapshotId)) {
                throw new HostException(Reason.CONFLICT, "snapshot " + snapshotId + " is in progress; abort it instead");
            }
            for (VmEntry e : vms.values()) {
                if (e.awaitingResume && e.restoredFrom.equals(snapshotId)) {
                    throw new HostException(Reason.CONFLICT, "VM " + e.name + " restored from " + snapshotId + " waits to be resumed");
                }
            }
        }
        synchronized (lock) {
            imports.keySet().removeIf(k -> k.startsWith(snapshotId + "/")); // unfinished imports of it go too
        }
        try {
            deleteTree(d);
            deleteTree(storeRoot.resolve(IMPORTS).resolve(snapshotId));
        } catch (IOException e) {
            throw new HostException(Reason.INTERNAL, "cannot delete snapshot " + snapshotId + ": " + e.getMessage(), e);
        }
    }

    // ---- restore ----

    /** One VM of a snapshot, verified and ready to load. */
    private record Verified(SliceManifest.VmEntry entry, StoredSnapshot stored, VmSpec spec, Map<String, List<RecordedFrame>> frames) {
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch) throws HostException {
        return restoreSnapshot(snapshotId, epoch, null);
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch, List<String> only) throws HostException {
        if (epoch < 1) {
            throw new HostException(Reason.BAD_REQUEST, "epoch must be positive");
        }
        Path dir = storeRoot.resolve(checkId("snapshot id", snapshotId));
        SliceManifest whole = loadManifest(snapshotId);
        SliceManifest m = whole;
        if (only != null) {
            Set<String> held = new HashSet<>();
            whole.vms().forEach(v -> held.add(v.vm()));
            for (String vm : only) {
                if (!held.contains(vm)) {
                    throw new HostException(Reason.NO_SUCH_VM, "snapshot " + snapshotId + " holds no VM " + vm + " on this host (it holds "
                            + held.stream().sorted().toList() + ")");
                }
            }
            if (only.isEmpty()) {
                throw new HostException(Reason.BAD_REQUEST, "restore of " + snapshotId + " lists no VM");
            }
            m = new SliceManifest(whole.snapshotId(), whole.slice(), whole.epoch(), whole.mode(), whole.includeDisk(), whole.createdAt(),
                    whole.vms().stream().filter(v -> only.contains(v.vm())).toList(), whole.framesHeld(), whole.framesDropped());
        }
        // Verify everything before touching any VM.
        List<Verified> verified = new ArrayList<>();
        try {
            SnapshotStore vmStore = SnapshotStore.open(dir.resolve("vms"), timing.clock());
            for (SliceManifest.VmEntry v : m.vms()) {
                StoredSnapshot s = vmStore.verify(v.storeId());
                Map<String, List<RecordedFrame>> frames = new HashMap<>();
                for (SliceManifest.PortEntry p : v.ports()) {
                    Path f = dir.resolve(p.file());
                    byte[] data = Files.readAllBytes(f);
                    if (data.length != p.bytes() || !SliceManifestCodec.sha256(data).equals(p.sha256())) {
                        throw new HostException(Reason.CORRUPT_SNAPSHOT, "snapshot " + snapshotId + ": channel state " + p.file()
                                + " fails its checksum; refusing to restore");
                    }
                    frames.put(p.nic(), ChannelStateFile.decode(data, f.toString()));
                }
                verified.add(new Verified(v, s, VmSpecJson.fromJson(s.deviceConfig()), frames));
            }
        } catch (CorruptSnapshotException e) {
            throw new HostException(Reason.CORRUPT_SNAPSHOT, e.getMessage(), e);
        } catch (StoreException | IOException | RuntimeException e) {
            throw new HostException(Reason.CORRUPT_SNAPSHOT, "snapshot " + snapshotId + " cannot be read: " + e.getMessage(), e);
        }
        // The users a VM being replaced was last given outlive it: the restored guest may hold an older list.
        Map<String, List<GuestUser>> latestUsers = new HashMap<>();
        for (Verified v : verified) {
            currentUsers(v.entry().vm()).ifPresent(u -> latestUsers.put(v.entry().vm(), u));
            destroyVm(v.entry().vm());
        }
        // Rebuild segments and ports, then load every VM in parallel; all are left paused.
        Map<String, VmSpec> specs = new LinkedHashMap<>();
        Map<String, List<PortBinding>> bound = new LinkedHashMap<>();
        Map<String, Integer> sshPortOf = new LinkedHashMap<>();
        try {
            synchronized (lock) {
                for (Verified v : verified) {
                    if (vms.size() + specs.size() >= settings.maxVms()) {
                        throw new HostException(Reason.RESTORE_FAILED, "this host runs its maximum of " + settings.maxVms() + " VMs");
                    }
                    List<PortBinding> bindings = new ArrayList<>();
                    bound.put(v.entry().vm(), bindings);
                    List<NicSpec> nics = new ArrayList<>();
                    for (NicSpec nic : v.spec().nics()) {
                        if (nic.attachment() instanceof NetworkAttachment.HostForward f) {
                            // Not part of the device model: the old port if it is free, else another one.
                            int port = takeSshPort(f.hostPort());
                            sshPortOf.put(v.entry().vm(), port);
                            nics.add(new NicSpec(nic.id(), nic.mac(), new NetworkAttachment.HostForward(settings.sshBind(), port,
                                    f.guestPort())));
                            continue;
                        }
                        SliceManifest.PortEntry pe = v.entry().ports().stream().filter(p -> p.nic().equals(nic.id())).findFirst().orElse(null);
                        if (pe == null) {
                            throw new HostException(Reason.RESTORE_FAILED, "snapshot " + snapshotId + " has no port record for "
                                    + v.entry().vm() + "." + nic.id());
                        }
                        SegmentSpec seg = new SegmentSpec(m.slice(), pe.link(), pe.vni(), ColourPolicy.valueOf(pe.policy()));
                        SegmentId sid = new SegmentId(m.slice(), pe.link());
                        if (!segments.containsKey(sid)) {
                            vswitch.createSegment(sid, seg.vni(), seg.policy());
                            segments.put(sid, seg);
                        }
                        PortBinding b = bindPort(v.entry().vm(), nic.id(), segments.get(sid));
                        bindings.add(b);
                        vswitch.prepareRestore(b.port(), epoch, v.frames().getOrDefault(nic.id(), List.of()).stream()
                                .map(RecordedFrame::frame).toList());
                        nics.add(nic(nic.id(), nic.mac(), b));
                    }
                    specs.put(v.entry().vm(), new VmSpec(v.spec().name(), v.spec().memoryMiB(), v.spec().vcpus(), v.spec().boot(),
                            v.spec().disks(), nics, v.spec().access()));
                }
            }
            Map<String, Future<?>> loads = new LinkedHashMap<>();
            for (Verified v : verified) {
                VmSpec spec = specs.get(v.entry().vm());
                loads.put(spec.name(), workers.submit(() -> driver.restore(new RestoreRequest(spec, v.stored().memoryImage(),
                        settings.restoreTimeout()))));
            }
            List<String> failures = new ArrayList<>();
            for (Map.Entry<String, Future<?>> f : loads.entrySet()) {
                try {
                    f.getValue().get(settings.restoreTimeout().plusMinutes(1).toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    failures.add(f.getKey() + ": " + e.getCause().getMessage());
                } catch (TimeoutException e) {
                    f.getValue().cancel(true);
                    failures.add(f.getKey() + ": did not load in time");
                }
            }
            if (!failures.isEmpty()) {
                throw new HostException(Reason.RESTORE_FAILED, "restore of " + snapshotId + " failed: " + String.join("; ", failures));
            }
            synchronized (lock) {
                for (Verified v : verified) {
                    String vm = v.entry().vm();
                    VmEntry e = new VmEntry(vm, m.slice(), bound.get(vm), snapshotId, null, sshPortOf.getOrDefault(vm, 0));
                    e.awaitingResume = true;
                    List<GuestUser> latest = latestUsers.get(vm);
                    GuestAccess restored = v.spec().access();
                    // A cloud image VM keeps the users of its seed (guest-access.md), so no newer list is held for it.
                    boolean seeded = v.spec().disks().stream().anyMatch(d -> d.id().equals(SEED_DISK) && d.readOnly());
                    if (e.sshPort != 0 && latest != null && restored != null && !seeded && !latest.equals(restored.users())) {
                        e.pendingUsers = latest;
                    }
                    vms.put(vm, e);
                }
            }
        } catch (HostException | RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            for (String vm : specs.keySet()) {
                try {
                    driver.destroy(vm);
                } catch (DriverException x) {
                    LOG.warn("cannot destroy half-restored {}: {}", vm, x.getMessage());
                }
            }
            synchronized (lock) {
                bound.values().forEach(l -> l.forEach(this::unbindPort));
                sshPortOf.values().forEach(this::releaseSshPort);
            }
            if (e instanceof HostException he) {
                throw he;
            }
            throw new HostException(Reason.RESTORE_FAILED, "restore of " + snapshotId + " failed: " + e.getMessage(), e);
        }
        LOG.info("restored snapshot {} (epoch {}): {} paused", snapshotId, epoch, specs.keySet());
        List<VmInfo> out = new ArrayList<>();
        for (String vm : specs.keySet()) {
            out.add(vm(vm));
        }
        return out;
    }

    @Override
    public List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException {
        List<VmEntry> waiting = new ArrayList<>();
        synchronized (lock) {
            for (VmEntry e : vms.values()) {
                if (e.awaitingResume && e.restoredFrom.equals(snapshotId)) {
                    waiting.add(e);
                }
            }
        }
        if (waiting.isEmpty()) {
            throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no VM restored from " + snapshotId + " waits to be resumed on this host");
        }
        Instant now = timing.clock().instant();
        if (resumeAt != null && resumeAt.isAfter(now.plus(MAX_CUT_DELAY))) {
            throw new HostException(Reason.BAD_REQUEST, "resume instant " + resumeAt + " is more than " + MAX_CUT_DELAY.toMinutes()
                    + " minutes ahead");
        }
        try {
            timing.awaitInstant(resumeAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(Reason.INTERNAL, "interrupted waiting for the resume instant");
        }
        List<String> failures = new ArrayList<>();
        Map<String, Instant> resumedAt = new HashMap<>();
        for (VmEntry e : waiting) {
            List<PortBinding> release;
            synchronized (lock) {
                release = List.copyOf(e.ports);
                e.awaitingResume = false;
            }
            try {
                for (PortBinding b : release) {
                    vswitch.resume(b.port()); // recorded frames are queued at the VM's socket before it runs
                    PortCounters c = vswitch.counters(b.port());
                    LOG.info("{}.{} resumed: recorded frames replayed {}, held frames released {} (port totals)", e.name, b.nic(), c.injected(),
                            c.released());
                }
                driver.resume(e.name);
                // Taken right after the hypervisor's resume returned: the measured resume instant of this VM.
                resumedAt.put(e.name, timing.clock().instant());
                applyPendingUsers(e);
            } catch (DriverException | RuntimeException x) {
                failures.add(e.name + ": " + x.getMessage());
                synchronized (lock) {
                    e.awaitingResume = true; // a retry of resumeRestored finds it again
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new HostException(Reason.RESTORE_FAILED, "cannot resume " + String.join("; ", failures));
        }
        LOG.info("resumed VMs restored from {}: {}", snapshotId, waiting.stream().map(e -> e.name).toList());
        List<VmInfo> out = new ArrayList<>();
        for (VmEntry e : waiting) {
            out.add(info(e).withResumedAt(resumedAt.get(e.name)));
        }
        return out;
    }

    // ---- moving a part to another host ----

    /** A part of a committed snapshot here, with its directory and the bytes of its single-VM manifest. */
    private record Export(SnapshotPart part, Path dir, byte[] partManifest) {
    }

    @Override
    public SnapshotPart snapshotPart(String snapshotId, String vm) throws HostException {
        return export(snapshotId, checkId("VM name", vm)).part();
    }

    private Export export(String snapshotId, String vm) throws HostException {
        SliceManifest m = loadManifest(snapshotId);
        Path dir = storeRoot.resolve(snapshotId);
        SliceManifest.VmEntry v = m.vms().stream().filter(e -> e.vm().equals(vm)).findFirst().orElseThrow(() -> new HostException(
                Reason.NO_SUCH_SNAPSHOT, "snapshot " + snapshotId + " holds no part of VM " + vm + " on this host"));
        try {
            // Deterministic bytes (same record, same encoder), so every chunk read sees the same file.
            byte[] pm = SliceManifestCodec.encode(new SliceManifest(m.snapshotId(), m.slice(), m.epoch(), m.mode(), m.includeDisk(),
                    m.createdAt(), List.of(v), 0, 0));
            List<PartFile> files = new ArrayList<>();
            files.add(new PartFile(PART_MANIFEST, pm.length, SliceManifestCodec.sha256(pm)));
            Path vmDir = dir.resolve("vms").resolve(v.storeId());
            SnapshotManifest sm = SnapshotStore.open(dir.resolve("vms"), timing.clock()).find(v.storeId()).orElseThrow(() ->
                    new HostException(Reason.CORRUPT_SNAPSHOT, "snapshot " + snapshotId + ": the image of " + vm + " is missing"));
            Path storeManifest = vmDir.resolve("manifest");
            files.add(new PartFile("vms/" + v.storeId() + "/manifest", Files.size(storeManifest), Checksums.sha256(storeManifest)));
            for (FileEntry f : sm.files()) {
                files.add(new PartFile("vms/" + v.storeId() + "/" + f.name(), f.size(), f.sha256()));
            }
            List<SegmentSpec> segs = new ArrayList<>();
            for (SliceManifest.PortEntry p : v.ports()) {
                files.add(new PartFile(p.file(), p.bytes(), p.sha256()));
                segs.add(new SegmentSpec(m.slice(), p.link(), p.vni(), ColourPolicy.valueOf(p.policy())));
            }
            List<String> required = new ArrayList<>();
            VmSpec spec = VmSpecJson.fromJson(Files.readString(vmDir.resolve("config.json")));
            if (spec.boot() instanceof BootSource.Kernel k) {
                required.add(k.kernel().toAbsolutePath().toString());
                if (k.initrd() != null) {
                    required.add(k.initrd().toAbsolutePath().toString());
                }
            }
            sm.disks().forEach(d -> required.add(d.path()));
            SnapshotPart part = new SnapshotPart(snapshotId, m.slice(), m.epoch(), SnapshotMode.valueOf(m.mode().toUpperCase(Locale.ROOT)),
                    vm, v.storeId(), files, segs, required);
            return new Export(part, dir, pm);
        } catch (StoreException | IOException | RuntimeException e) {
            throw new HostException(Reason.CORRUPT_SNAPSHOT, "snapshot " + snapshotId + ": the part of " + vm + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public byte[] readSnapshotPart(String snapshotId, String vm, String path, long offset, int length) throws HostException {
        Export x = export(snapshotId, checkId("VM name", vm));
        PartFile f = x.part().files().stream().filter(pf -> pf.path().equals(path)).findFirst().orElseThrow(() -> new HostException(
                Reason.BAD_REQUEST, "'" + path + "' is not a file of the part of " + vm + " in " + snapshotId));
        if (length < 0 || length > MAX_CHUNK || offset < 0 || offset > f.size()) {
            throw new HostException(Reason.BAD_REQUEST, "read of " + path + ": offset " + offset + " and length " + length
                    + " must lie within its " + f.size() + " bytes, at most " + MAX_CHUNK + " at once");
        }
        int n = (int) Math.min(length, f.size() - offset);
        if (path.equals(PART_MANIFEST)) {
            return java.util.Arrays.copyOfRange(x.partManifest(), (int) offset, (int) offset + n);
        }
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n);
        try (FileChannel ch = FileChannel.open(x.dir().resolve(path), StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new IOException("the file ended early");
                }
            }
        } catch (IOException e) {
            throw new HostException(Reason.CORRUPT_SNAPSHOT, "snapshot " + snapshotId + ": cannot read " + path + ": " + e.getMessage(), e);
        }
        return buf.array();
    }

    @Override
    public boolean beginImport(SnapshotPart part) throws HostException {
        String id = checkId("snapshot id", part.snapshotId());
        String vm = checkId("VM name", part.vm());
        checkId("store id", part.storeId());
        Map<String, PartFile> files = new LinkedHashMap<>();
        for (PartFile f : part.files()) {
            boolean inPart = f.path().equals(PART_MANIFEST) || f.path().startsWith("vms/" + part.storeId() + "/")
                    || f.path().startsWith("channels/" + vm + ".");
            if (!PART_PATH.matcher(f.path()).matches() || f.path().contains("..") || !inPart || files.put(f.path(), f) != null) {
                throw new HostException(Reason.BAD_REQUEST, "part of " + vm + " in " + id + ": bad or repeated file path '" + f.path() + "'");
            }
        }
        if (!files.containsKey(PART_MANIFEST)) {
            throw new HostException(Reason.BAD_REQUEST, "part of " + vm + " in " + id + " has no " + PART_MANIFEST);
        }
        synchronized (lock) {
            if (jobs.containsKey(id)) {
                throw new HostException(Reason.CONFLICT, "snapshot " + id + " is being taken on this host");
            }
            if (heldStoreId(id, vm).map(s -> !s.equals(part.storeId())).orElse(false)) {
                throw new HostException(Reason.CONFLICT, "this host holds another part of VM " + vm + " in snapshot " + id);
            }
            if (heldStoreId(id, vm).isPresent()) {
                LOG.info("import of {} / {}: already held here", id, vm);
                return false;
            }
        }
        List<String> unreachable = part.requiredPaths().stream().filter(p -> !Files.isReadable(Path.of(p))).toList();
        if (!unreachable.isEmpty()) {
            throw new HostException(Reason.BAD_REQUEST, "VM " + vm + " of snapshot " + id + " needs " + unreachable
                    + ", which this host cannot reach (its images must be available here at the same paths)");
        }
        long free = freeSpace.applyAsLong(storeRoot);
        if (free < part.bytes() + (1 << 20)) {
            throw new HostException(Reason.INSUFFICIENT_STORAGE, "importing " + vm + " of " + id + " needs " + mib(part.bytes())
                    + " MiB; the snapshot store has " + mib(free) + " MiB free");
        }
        Path staging = storeRoot.resolve(IMPORTS).resolve(id).resolve(vm);
        synchronized (lock) {
            try {
                deleteTree(staging);
                Files.createDirectories(staging);
            } catch (IOException e) {
                throw new HostException(Reason.INTERNAL, "cannot create " + staging + ": " + e.getMessage(), e);
            }
            imports.put(id + "/" + vm, new ImportJob(part, staging, files));
        }
        LOG.info("importing the part of {} in snapshot {} ({} MiB in {} files)", vm, id, mib(part.bytes()), files.size());
        return true;
    }

    /** The store id of the VM's part in the committed snapshot here, if this host holds one. */
    // @GuardedBy("lock")
    private Optional<String> heldStoreId(String snapshotId, String vm) throws HostException {
        Path dir = storeRoot.resolve(snapshotId);
        if (!Files.exists(dir.resolve(MANIFEST))) {
            return Optional.empty();
        }
        return loadManifest(snapshotId).vms().stream().filter(v -> v.vm().equals(vm)).map(SliceManifest.VmEntry::storeId).findFirst();
    }

    private ImportJob importJob(String snapshotId, String vm) throws HostException {
        synchronized (lock) {
            ImportJob j = imports.get(snapshotId + "/" + vm);
            if (j == null) {
                throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no import of " + vm + " in snapshot " + snapshotId + " is open here");
            }
            return j;
        }
    }

    @Override
    public void writeImport(String snapshotId, String vm, String path, long offset, byte[] data) throws HostException {
        ImportJob j = importJob(snapshotId, vm);
        PartFile f = j.files().get(path);
        if (f == null) {
            throw new HostException(Reason.BAD_REQUEST, "'" + path + "' is not a file of the import of " + vm + " in " + snapshotId);
        }
        if (data.length > MAX_CHUNK || offset + data.length > f.size()) {
            throw new HostException(Reason.BAD_REQUEST, "write of " + data.length + " bytes at " + offset + " overruns " + path + " ("
                    + f.size() + " bytes) or the chunk limit");
        }
        Path file = j.staging().resolve(path);
        synchronized (j) {
            try {
                Files.createDirectories(file.getParent());
                long have = Files.exists(file) ? Files.size(file) : 0;
                if (offset != have) {
                    throw new HostException(Reason.BAD_REQUEST, "write of " + path + " at " + offset + ", but " + have + " bytes are written");
                }
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            } catch (IOException e) {
                throw new HostException(Reason.INTERNAL, "cannot write " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public HostSnapshot finishImport(String snapshotId, String vm) throws HostException {
        ImportJob j = importJob(snapshotId, vm);
        SnapshotPart part = j.part();
        try {
            for (PartFile f : part.files()) {
                Path file = j.staging().resolve(f.path());
                if (!Files.isRegularFile(file) || Files.size(file) != f.size() || !Checksums.sha256(file).equals(f.sha256())) {
                    throw new HostException(Reason.CORRUPT_SNAPSHOT, "import of " + vm + " in " + snapshotId + ": " + f.path()
                            + " does not match its size and SHA-256 (incomplete or damaged copy)");
                }
            }
            SliceManifest pm = SliceManifestCodec.decode(Files.readAllBytes(j.staging().resolve(PART_MANIFEST)), PART_MANIFEST);
            if (!pm.snapshotId().equals(snapshotId) || !pm.slice().equals(part.slice()) || pm.epoch() != part.epoch() || pm.vms().size() != 1
                    || !pm.vms().get(0).vm().equals(vm) || !pm.vms().get(0).storeId().equals(part.storeId())) {
                throw new HostException(Reason.CORRUPT_SNAPSHOT, "import of " + vm + " in " + snapshotId + ": its manifest describes another part");
            }
            // The VM store checks memory image, device description and frozen disks (which must be reachable here).
            SnapshotStore.open(j.staging().resolve("vms"), timing.clock()).verify(part.storeId());
            for (PartFile f : part.files()) {
                try (FileChannel ch = FileChannel.open(j.staging().resolve(f.path()), StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            HostSnapshot out;
            synchronized (lock) {
                if (jobs.containsKey(snapshotId)) {
                    throw new HostException(Reason.CONFLICT, "snapshot " + snapshotId + " is being taken on this host");
                }
                publishImport(j, pm);
                imports.remove(snapshotId + "/" + vm);
                out = hostSnapshot(loadManifest(snapshotId), storeRoot.resolve(snapshotId));
            }
            LOG.info("imported the part of {} in snapshot {}", vm, snapshotId);
            return out;
        } catch (HostException e) {
            dropImport(j, snapshotId, vm);
            throw e;
        } catch (CorruptSnapshotException e) {
            dropImport(j, snapshotId, vm);
            throw new HostException(Reason.CORRUPT_SNAPSHOT, "import of " + vm + ": " + e.getMessage(), e);
        } catch (StoreException | IOException | RuntimeException e) {
            dropImport(j, snapshotId, vm);
            throw new HostException(Reason.CORRUPT_SNAPSHOT, "import of " + vm + " in " + snapshotId + " failed: " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(j.staging());
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", j.staging(), e.getMessage());
            }
        }
    }

    /**
     * Puts a verified import in place: as the whole snapshot directory when this host holds no part of the snapshot
     * (one atomic rename), else next to the parts it holds, with the slice manifest replaced last (the commit point:
     * files moved in before it are not referenced until then).
     */
    // @GuardedBy("lock")
    private void publishImport(ImportJob j, SliceManifest pm) throws IOException, HostException {
        String id = pm.snapshotId();
        String vm = pm.vms().get(0).vm();
        Path dir = storeRoot.resolve(id);
        if (!Files.exists(dir.resolve(MANIFEST))) {
            if (Files.exists(dir)) {
                deleteTree(dir); // a directory without a manifest is an incomplete leftover
            }
            Files.createDirectories(j.staging().resolve("channels"));
            Files.move(j.staging().resolve(PART_MANIFEST), j.staging().resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(j.staging());
            Files.move(j.staging(), dir, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(storeRoot);
            return;
        }
        SliceManifest m = readManifest(dir);
        if (!m.slice().equals(pm.slice()) || m.epoch() != pm.epoch() || !m.mode().equals(pm.mode())) {
            throw new HostException(Reason.CONFLICT, "this host's part of " + id + " is of slice " + m.slice() + " epoch " + m.epoch()
                    + ", the import of " + vm + " of " + pm.slice() + " epoch " + pm.epoch());
        }
        SliceManifest.VmEntry entry = pm.vms().get(0);
        if (m.vms().stream().anyMatch(v -> v.vm().equals(vm))) {
            throw new HostException(Reason.CONFLICT, "this host already holds a part of " + vm + " in " + id);
        }
        Files.createDirectories(dir.resolve("vms"));
        Files.createDirectories(dir.resolve("channels"));
        Path vmTarget = dir.resolve("vms").resolve(entry.storeId());
        deleteTree(vmTarget); // unreferenced: left by an interrupted earlier import
        Files.move(j.staging().resolve("vms").resolve(entry.storeId()), vmTarget, StandardCopyOption.ATOMIC_MOVE);
        for (SliceManifest.PortEntry p : entry.ports()) {
            Files.move(j.staging().resolve(p.file()), dir.resolve(p.file()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(dir.resolve("vms"));
        fsyncDirectory(dir.resolve("channels"));
        List<SliceManifest.VmEntry> all = new ArrayList<>(m.vms());
        all.add(entry);
        writeDurably(dir.resolve(MANIFEST), SliceManifestCodec.encode(new SliceManifest(m.snapshotId(), m.slice(), m.epoch(), m.mode(),
                m.includeDisk(), m.createdAt(), all, m.framesHeld(), m.framesDropped())));
        fsyncDirectory(dir);
    }

    private void dropImport(ImportJob j, String snapshotId, String vm) {
        synchronized (lock) {
            imports.remove(snapshotId + "/" + vm, j);
        }
    }

    @Override
    public void abortImport(String snapshotId, String vm) throws HostException {
        ImportJob j;
        synchronized (lock) {
            j = imports.remove(checkId("snapshot id", snapshotId) + "/" + checkId("VM name", vm));
        }
        if (j != null) {
            try {
                deleteTree(j.staging());
            } catch (IOException e) {
                throw new HostException(Reason.INTERNAL, "cannot remove " + j.staging() + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- lifecycle ----

    /** Destroys every VM (the "destroy" shutdown policy) and releases their ports. */
    public void destroyAll() {
        List<String> names;
        synchronized (lock) {
            names = new ArrayList<>(vms.keySet());
        }
        for (String n : names) {
            try {
                destroyVm(n);
            } catch (HostException e) {
                LOG.warn("cannot destroy {} at shutdown: {}", n, e.getMessage());
            }
        }
    }

    /** Forgets in-progress snapshots (their staging directories are removed at the next start); VMs are left as they are. */
    @Override
    public void close() {
        synchronized (lock) {
            jobs.clear();
        }
    }

    // ---- helpers ----

    private SliceManifest loadManifest(String snapshotId) throws HostException {
        Path d = storeRoot.resolve(checkId("snapshot id", snapshotId));
        if (!Files.exists(d.resolve(MANIFEST))) {
            throw new HostException(Reason.NO_SUCH_SNAPSHOT, "no complete snapshot " + snapshotId + " on this host");
        }
        try {
            return readManifest(d);
        } catch (IOException e) {
            throw new HostException(Reason.CORRUPT_SNAPSHOT, e.getMessage(), e);
        }
    }

    private static SliceManifest readManifest(Path dir) throws IOException {
        SliceManifest m = SliceManifestCodec.decode(Files.readAllBytes(dir.resolve(MANIFEST)), dir.resolve(MANIFEST).toString());
        if (!m.snapshotId().equals(dir.getFileName().toString())) {
            throw new IOException(dir + ": manifest names snapshot " + m.snapshotId());
        }
        return m;
    }

    private static String checkId(String what, String id) throws HostException {
        if (id == null || !ID.matcher(id).matches() || id.endsWith(PARTIAL)) {
            throw new HostException(Reason.BAD_REQUEST, what + " '" + id + "' must match " + ID.pattern());
        }
        return id;
    }

    private static String name(SnapshotMode m) {
        return m.name().toLowerCase(Locale.ROOT);
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    private static void writeDurably(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot delete {}: {}", p, e.getMessage());
            }
        }
    }

    /** Deletes a directory tree; a missing one is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
