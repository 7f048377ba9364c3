package net.vnsnap.host.driver.xen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.vnsnap.host.driver.Capabilities;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.NoSuchVmException;
import net.vnsnap.host.driver.RawDisks;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.RestoreResult;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedFeatureException;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.driver.xen.XenErrors.Operation;
import net.vnsnap.host.driver.xen.libxl.RawLibraries;
import net.vnsnap.host.driver.xen.net.NetbackRing;
import net.vnsnap.host.driver.xen.net.PacketLibcRaw;
import net.vnsnap.host.driver.xen.net.PacketSocket;
import net.vnsnap.host.driver.xen.net.VifRelay;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The hypervisor driver for Xen: domUs created, saved and restored through libxl in this process (the driver must run
 * in dom0 as root), snapshots in xl's save-file format, vifs relayed to the virtual switch.
 */
public final class XenDriver implements HypervisorDriver {
    private static final Logger LOG = LogManager.getLogger(XenDriver.class);
    /** The bridge-less vif hotplug script libxl runs for our vifs, written into the run directory. */
    static final String VIF_SCRIPT = "vif-vnsnap";

    private final XenConfig config;
    private final Libxl libxl;
    /** One context per running save, so a slice's domains are saved at once (their cuts then lie close together). */
    private final LibxlContexts saveContexts;
    private final VifLinks links;
    private final Clock clock;
    private final HostCaps caps;
    /** The concrete guest type chosen for this host from xen.type and virt_caps. */
    private final GuestType type;
    private final Path vifScript;
    private final Map<String, XenDomain> vms = new ConcurrentHashMap<>();
    /** Makes restore directories unique, also for a VM restored twice under one name. */
    private final AtomicLong instances = new AtomicLong();

    XenDriver(XenConfig config, RawLibraries raw, VifLinks links, Clock clock) throws DriverException {
        this.config = config;
        this.links = links;
        this.clock = clock;
        Libxl l;
        try {
            l = Libxl.open(raw, config.xtlLevel());
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, Operation.CAPABILITIES, null, VmState.SHUTOFF);
        }
        this.libxl = l;
        this.saveContexts = new LibxlContexts(l);
        try {
            this.caps = libxl.hostCaps();
            this.type = config.guestType().resolve(caps);
            this.vifScript = writeVifScript(config.runDirectory());
        } catch (LibxlException e) {
            libxl.close();
            throw XenErrors.toDriver(e, Operation.CAPABILITIES, null, VmState.SHUTOFF);
        } catch (IllegalStateException | IOException e) {
            libxl.close();
            throw new DriverException("cannot start the Xen driver: " + e.getMessage(), e);
        }
        if (!type.liveSupported(caps)) {
            LOG.warn("Xen {} offers no log-dirty paging for {} guests (virt_caps: hap={}, shadow={}): live snapshots are off, stop still works",
                    caps.version(), type, caps.hap(), caps.shadow());
        }
        LOG.info("Xen driver: Xen {}, {} guests, virt_caps pv={} hvm={} hap={} shadow={}", caps.version(), type, caps.pv(), caps.hvm(),
                caps.hap(), caps.shadow());
    }

    /**
     * Opens the driver on this dom0: loads libxl, libxentoollog and libc through JNA and reads virt_caps.
     *
     * @throws DriverException when this is not a Xen dom0 or the requested guest type cannot run here
     */
    public static XenDriver open(XenConfig config) throws DriverException {
        RawLibraries raw;
        PacketLibcRaw packetLibc;
        try {
            raw = RawLibraries.load();
            packetLibc = PacketSocket.loadLibc();
        } catch (UnsatisfiedLinkError e) {
            throw new DriverException("cannot load Xen's libxenlight/libxentoollog (is this a Xen dom0 with xen-utils installed?): "
                    + e.getMessage(), e);
        }
        if (!NetbackRing.visible(NetbackRing.DEBUGFS)) {
            LOG.warn("{} is not there (debugfs not mounted, or xen-netback not loaded yet): frames a guest had not taken from its"
                    + " receive ring at a cut cannot be recorded, and may be lost at a restore; mount debugfs at /sys/kernel/debug",
                    NetbackRing.DEBUGFS);
        }
        return new XenDriver(config, raw, ifname -> PacketSocket.open(packetLibc, ifname, config.relayPoll()), Clock.systemUTC());
    }

    /** How many extra libxl contexts saves have opened: at most the number that ever ran at once. */
    int saveContextsOpened() {
        return saveContexts.opened();
    }

    /** The concrete guest type domUs get here. */
    public GuestType guestType() {
        return type;
    }

    /** Not yet: no control NIC or user-list channel into domUs (docs/xen-driver.md). */
    @Override
    public boolean offersGuestAccess() {
        return false;
    }

    /** Raw: domUs reach disks through blkback, which reads raw files (no qemu-img or qdisk in a minimal dom0). */
    @Override
    public WritableDisk writableDisk() {
        return WritableDisk.RAW_COPY;
    }

    @Override
    public Capabilities capabilities() {
        Set<SnapshotMode> modes = EnumSet.of(SnapshotMode.STOP);
        if (type.liveSupported(caps)) {
            modes.add(SnapshotMode.LIVE);
        }
        return new Capabilities("xen", caps.version(), type.libxlName(), modes);
    }

    @Override
    public void create(VmSpec spec) throws DriverException {
        if (vms.containsKey(spec.name())) {
            throw new DriverException("a VM named '" + spec.name() + "' already exists on this host");
        }
        if (spec.access() != null) {
            throw new UnsupportedFeatureException("the Xen driver has no guest-access channel (SSH control NIC, user lists) yet; create "
                    + spec.name() + " without users");
        }
        String json;
        try {
            json = DomainConfigJson.forCreate(spec, type, vifScript);
        } catch (IllegalArgumentException e) {
            throw new DriverException("cannot create " + spec.name() + ": " + e.getMessage(), e);
        }
        LOG.info("{}: creating the domain from libxl configuration {}", spec.name(), json);
        int domid;
        try {
            domid = libxl.createNew(json);
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, Operation.CREATE, spec.name(), VmState.SHUTOFF);
        }
        XenDomain d = attach(spec, domid, false);
        d.neverStarted = true;
    }

    /** Starts the vif relays of a new domain and registers it; on failure the domain is destroyed. */
    private XenDomain attach(VmSpec spec, int domid, boolean restored) throws DriverException {
        List<VifRelay> relays = new ArrayList<>();
        try {
            for (int i = 0; i < spec.nics().size(); i++) {
                NicSpec nic = spec.nics().get(i);
                if (nic.attachment() instanceof NetworkAttachment.UdpTunnel u) {
                    String ifname = "vif" + domid + "." + i;
                    relays.add(VifRelay.start(spec.name() + "." + nic.id(), links.open(ifname),
                            new InetSocketAddress(u.localHost(), u.localPort()), new InetSocketAddress(u.remoteHost(), u.remotePort())));
                }
            }
        } catch (IOException e) {
            relays.forEach(VifRelay::close);
            destroyQuietly(domid, spec.name());
            String msg = "cannot connect the vifs of " + spec.name() + " to the switch: " + e.getMessage();
            throw restored ? new RestoreFailedException(msg, e) : new DriverException(msg, e);
        }
        XenDomain d = new XenDomain(spec.name(), domid, spec, relays);
        d.restoredPaused = restored;
        vms.put(spec.name(), d);
        return d;
    }

    @Override
    public void start(String vm) throws DriverException {
        XenDomain d = get(vm);
        unpause(d, Operation.START);
    }

    @Override
    public void pause(String vm) throws DriverException {
        XenDomain d = get(vm);
        d.operation.lock();
        try {
            libxl.pause(d.domid);
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, Operation.PAUSE, vm, null);
        } finally {
            d.operation.unlock();
        }
    }

    @Override
    public void resume(String vm) throws DriverException {
        unpause(get(vm), Operation.RESUME);
    }

    private void unpause(XenDomain d, Operation op) throws DriverException {
        d.operation.lock();
        try {
            libxl.unpause(d.domid);
            d.neverStarted = false;
            d.restoredPaused = false;
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, op, d.name, null);
        } finally {
            d.operation.unlock();
        }
    }

    @Override
    public void destroy(String vm) {
        XenDomain d = vms.remove(vm);
        if (d != null) {
            d.stopRelays();
            destroyQuietly(d.domid, vm);
        }
    }

    private void destroyQuietly(int domid, String vm) {
        try {
            libxl.destroy(domid);
        } catch (LibxlException e) {
            if (!e.error().domainGone()) {
                LOG.error("{}: cannot destroy domain {}: {}", vm, domid, e.getMessage());
            }
        }
    }

    @Override
    public VmState state(String vm) throws DriverException {
        XenDomain d = get(vm);
        try {
            return libxl.info(d.domid).map(i -> stateOf(d, i)).orElse(VmState.SHUTOFF);
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, Operation.STATE, vm, null);
        }
    }

    static VmState stateOf(XenDomain d, DomainInfo i) {
        if (i.dying()) {
            return VmState.SHUTOFF;
        }
        if (i.shutdown()) {
            return switch (i.shutdownReason()) {
                case "crash", "watchdog" -> VmState.CRASHED;
                case "suspend" -> VmState.PAUSED;
                default -> VmState.SHUTOFF;
            };
        }
        if (i.paused()) {
            return d.neverStarted ? VmState.CREATED : d.restoredPaused ? VmState.RESTORED_PAUSED : VmState.PAUSED;
        }
        return VmState.RUNNING;
    }

    @Override
    public VmSpec spec(String vm) throws DriverException {
        return get(vm).spec;
    }

    @Override
    public Optional<Path> consoleLog(String vm) throws DriverException {
        get(vm);
        return Optional.ofNullable(config.consoleDirectory()).map(dir -> dir.resolve("guest-" + vm + ".log"));
    }

    /** The domain id Xen gave the VM (changes with every restore). */
    public int domid(String vm) throws DriverException {
        return get(vm).domid;
    }

    @Override
    public SnapshotResult snapshot(String vm, SnapshotRequest request) throws DriverException {
        XenDomain d = get(vm);
        if (request.mode() == SnapshotMode.COW) {
            throw new UnsupportedModeException("cow snapshots are not available with Xen: libxl has no copy-on-write save; use live or stop");
        }
        if (request.mode() == SnapshotMode.LIVE && !type.liveSupported(caps)) {
            throw new UnsupportedModeException("live snapshots of " + type + " guests need log-dirty paging, which Xen " + caps.version()
                    + " lacks here (virt_caps hap=" + caps.hap() + ", shadow=" + caps.shadow() + "); use stop");
        }
        d.operation.lock();
        try {
            VmState before = state(vm);
            if (before != VmState.RUNNING) {
                throw new DriverException("cannot snapshot " + vm + ": it is " + before + ", not RUNNING");
            }
            Libxl own;
            try {
                own = saveContexts.take();
            } catch (LibxlException e) {
                throw XenErrors.toDriver(e, Operation.SNAPSHOT, vm, before);
            }
            try {
                return new XenSnapshot(own, d, request, config, clock, caps.version()).run();
            } finally {
                saveContexts.give(own);
            }
        } finally {
            d.operation.unlock();
        }
    }

    @Override
    public RestoreResult restore(RestoreRequest request) throws DriverException {
        long t0 = System.nanoTime();
        VmSpec frozen = request.spec();
        String name = frozen.name();
        if (vms.containsKey(name)) {
            throw new RestoreFailedException("a VM named '" + name + "' already exists on this host; destroy it first", null);
        }
        if (frozen.access() != null) {
            throw new RestoreFailedException("the Xen driver has no guest-access channel; " + name + " cannot have users", null);
        }
        XlSaveHeader header;
        try {
            header = XlSaveHeader.read(request.memoryImage());
        } catch (IOException e) {
            throw new RestoreFailedException("cannot read the image of " + name + ": " + e.getMessage(), e);
        }
        Path dir = config.runDirectory().resolve(name + ".restore." + instances.incrementAndGet());
        List<Path> active = new ArrayList<>();
        List<DiskSpec> activeDisks = new ArrayList<>();
        String json;
        try {
            for (DiskSpec disk : frozen.disks()) {
                if (!Files.isRegularFile(disk.image())) {
                    throw new RestoreFailedException("frozen disk image " + disk.image() + " of " + disk.id() + " is missing", null);
                }
                Path copy = dir.resolve(disk.id() + "-restored.raw");
                RawDisks.copy(disk.image(), copy);
                active.add(copy);
                activeDisks.add(disk.withImage(copy, "raw"));
            }
            json = DomainConfigJson.forRestore(header.configJson(), name, active, vifScript);
        } catch (IOException | IllegalArgumentException e) {
            throw new RestoreFailedException("cannot prepare the restore of " + name + ": " + e.getMessage(), e);
        }
        LOG.info("{}: restoring the domain from {} with libxl configuration {}", name, request.memoryImage(), json);
        int domid;
        int fd = -1;
        try {
            fd = libxl.openForRead(request.memoryImage(), header.length());
            domid = libxl.createRestore(json, fd, header.streamVersion());
        } catch (LibxlException e) {
            throw XenErrors.toDriver(e, Operation.RESTORE, name, VmState.SHUTOFF);
        } finally {
            libxl.closeQuietly(fd);
        }
        VmSpec activeSpec = frozen.withDisks(activeDisks);
        attach(activeSpec, domid, true);
        return new RestoreResult(Duration.ofNanos(System.nanoTime() - t0), activeSpec);
    }

    @Override
    public void close() {
        for (String name : List.copyOf(vms.keySet())) {
            destroy(name);
        }
        saveContexts.close();
        libxl.close();
    }

    private XenDomain get(String vm) throws NoSuchVmException {
        XenDomain d = vms.get(vm);
        if (d == null) {
            throw new NoSuchVmException(vm);
        }
        return d;
    }

    /**
     * Writes the vif hotplug script: it brings the vif up without a bridge (hostd relays its frames), turns off GSO
     * towards the guest's netfront so frames stay within one datagram, keeps dom0's own IPv6 off it, and reports the
     * vif connected to libxl.
     */
    static Path writeVifScript(Path runDirectory) throws IOException {
        Files.createDirectories(runDirectory);
        Path script = runDirectory.resolve(VIF_SCRIPT).toAbsolutePath();
        String text = """
                #!/bin/sh
                # Written by vnsnap-hostd: a domU vif without a bridge; hostd relays its frames to its virtual switch.
                # libxl runs it with online|offline and XENBUS_PATH=backend/vif/<domid>/<devid> (and vif=<name>).
                dev="${vif:-vif$(echo "$XENBUS_PATH" | awk -F/ '{print $(NF-1) "." $NF}')}"
                case "$1" in
                online|add)
                    xenstore-write "$XENBUS_PATH/feature-gso-tcpv4" 0 "$XENBUS_PATH/feature-gso-tcpv6" 0 2>/dev/null
                    # dom0 itself must send nothing to the guest (IPv6 router solicitations, MLD): hostd counts what
                    # netback hands the guest to know which of its own frames a cut left undelivered.
                    [ -w "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" ] && echo 1 > "/proc/sys/net/ipv6/conf/$dev/disable_ipv6"
                    ip link set dev "$dev" up || exit 1
                    xenstore-write "$XENBUS_PATH/hotplug-status" connected
                    ;;
                offline|remove)
                    ip link set dev "$dev" down 2>/dev/null
                    xenstore-rm "$XENBUS_PATH/hotplug-status" 2>/dev/null
                    ;;
                esac
                exit 0
                """;
        Path tmp = runDirectory.resolve(VIF_SCRIPT + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return script;
    }
}
