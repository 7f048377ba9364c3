package net.vnsnap.am.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import net.vnsnap.am.api.ActionResult;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.api.Slivers;
import net.vnsnap.am.api.v3.AmApiV3;
import net.vnsnap.am.auth.CallAuthorizer;
import net.vnsnap.am.plugin.AmPlugin;
import net.vnsnap.am.plugin.PluginAction;
import net.vnsnap.am.plugin.PluginContext;
import net.vnsnap.am.plugin.PluginHost;
import net.vnsnap.am.slice.AllocationState;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.SliceStore;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.rspec.RSpecs;
import net.vnsnap.rspec.am.AdvertisementBuilder;
import net.vnsnap.rspec.am.HostOffer;
import net.vnsnap.rspec.io.RSpecWriter;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.Ip;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.opstate.OpState;
import net.vnsnap.rspec.opstate.OpStateAction;
import net.vnsnap.rspec.opstate.OpStateState;
import net.vnsnap.rspec.snapshot.SnapshotCapability;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The aggregate manager: AM API v3 over slices whose slivers are VMs on host agents, with every state
 * change kept in the slice store (a new instance over the same store serves the same slices).
 *
 * <p>Calls on one slice are serialized by that slice's lock; Status and Describe share it. Allocate also
 * holds the placement lock, because room on hosts and tunnel VNIs are shared by all slices. Anything the
 * core does not know (operational actions, manifest and status additions) is asked of the plugins.
 */
public final class AggregateManager implements AmApiV3 {

    private static final Logger LOG = LogManager.getLogger(AggregateManager.class);

    /** geni_restart destroys and recreates the VM from its image: the host contract has no reboot. */
    public static final String START = "geni_start";
    public static final String STOP = "geni_stop";
    public static final String RESTART = "geni_restart";
    public static final String UPDATE_USERS = "geni_update_users";
    /** Accepted and does nothing: geni_update_users has finished on every VM when it returns, so nothing is pending. */
    public static final String UPDATE_USERS_CANCEL = "geni_updating_users_cancel";

    private final Clock clock;
    private final CallAuthorizer authorizer;
    private final SliceStore store;
    private final HostRegistry hosts;
    private final AmPolicy policy;
    private final List<AmPlugin> plugins;
    private final IdGenerator ids;
    /** This AM's URLs, as GetVersion reports them. */
    private final String v3Url;
    private final String v2Url;
    /** One lock per slice URN; entries are few (one per slice ever touched) and tiny, so they are kept. */
    private final Map<String, ReentrantReadWriteLock> sliceLocks = new ConcurrentHashMap<>();
    /** Held by Allocate (inside no slice lock): host room and VNIs are shared by every slice. */
    private final Lock placementLock = new ReentrantLock();
    /** The hosts' info for ListResources, so advertisements neither wait behind busy hosts nor ask them on every call. */
    private final HostInfoCache infoCache;

    /**
     * @param v3Url  the URL the v3 endpoint is served at
     * @param v2Url  the v2 endpoint's URL, or null when v2 is not served
     */
    public AggregateManager(Clock clock, CallAuthorizer authorizer, SliceStore store, HostRegistry hosts, AmPolicy policy,
            List<AmPlugin> plugins, IdGenerator ids, String v3Url, String v2Url) {
        this(clock, authorizer, store, hosts, policy, plugins, ids, v3Url, v2Url, Duration.ZERO, Runnable::run);
    }

    /**
     * As above, with ListResources answered from host info at most {@code hostInfoMaxAge} old, refreshed on
     * {@code refresher} while callers get the previous answer (zero: every ListResources asks every host).
     */
    public AggregateManager(Clock clock, CallAuthorizer authorizer, SliceStore store, HostRegistry hosts, AmPolicy policy,
            List<AmPlugin> plugins, IdGenerator ids, String v3Url, String v2Url, Duration hostInfoMaxAge,
            java.util.concurrent.Executor refresher) {
        this.infoCache = new HostInfoCache(hosts.hostIds(), id -> hosts.agent(id).info(), clock, hostInfoMaxAge, refresher);
        this.clock = clock;
        this.authorizer = authorizer;
        this.store = store;
        this.hosts = hosts;
        this.policy = policy;
        this.plugins = List.copyOf(plugins);
        this.ids = ids;
        this.v3Url = v3Url;
        this.v2Url = v2Url;
        PluginHost host = new Host();
        for (AmPlugin p : this.plugins) {
            p.attach(host);
        }
    }

    public AmPolicy policy() {
        return policy;
    }

    // ---------------------------------------------------------------- GetVersion, ListResources

    @Override
    public Map<String, Object> getVersion(Options options) {
        return VersionInfo.value(v3Url, v2Url, RSpecs.EXTENSIONS);
    }

    @Override
    public String listResources(ApiCall call) throws GeniException {
        authorizer.authorize(call, null, AmOperation.LIST_RESOURCES);
        boolean onlyAvailable = call.options().bool("geni_available", false);
        Map<String, HostInfo> reachable = new LinkedHashMap<>();
        Map<String, String> unreachable = new LinkedHashMap<>();
        infoCache.survey(reachable, unreachable);
        Placement loads = new Placement(policy, reachable, unreachable, allSlices());
        AdvertisementBuilder ad = new AdvertisementBuilder(policy.amUrn()).generated(clock.instant());
        Set<String> kinds = new LinkedHashSet<>();
        for (Placement.Load l : loads.loads().values()) {
            boolean available = l.hasRoom();
            if (onlyAvailable && !available) {
                continue;
            }
            List<SliverKind> k = Placement.kindOf(l.info.hypervisor()).map(List::of).orElse(List.of());
            k.forEach(x -> kinds.add(x.wire()));
            List<DiskImage> images = l.info.images().stream().map(DiskImage::of).toList();
            String dflt = l.info.images().contains(policy.defaultImage()) ? policy.defaultImage() : null;
            // Every VM on a host that offers guest access gets it (SSH with the slice users' keys); where to connect is
            // per VM, in the manifest.
            ad.host(new HostOffer(policy.nodeUrn(l.id), l.id, available, k, images, dflt, l.info.hypervisor() + "-host", null,
                    capability(l.info), l.info.guestAccess() ? Login.sshAdvertised(null) : null));
        }
        ad.opState(opState(List.copyOf(kinds)));
        return RSpecWriter.toString(ad.build());
    }

    private SnapshotCapability capability(HostInfo info) {
        Set<SnapshotMode> modes = EnumSet.noneOf(SnapshotMode.class);
        info.modes().forEach(m -> SnapshotMode.fromWire(m.name()).ifPresent(modes::add));
        if (modes.isEmpty()) {
            return null;
        }
        return new SnapshotCapability(info.hypervisor(), modes, info.freeSnapshotBytes(), policy.profile().diskSnapshots(),
                policy.profile().maxRetain());
    }

    /** The core's start/stop/restart machine plus every plugin's actions in their from-states. */
    OpState opState(List<String> kinds) {
        Map<String, List<OpStateAction>> actions = new LinkedHashMap<>();
        Map<String, String> about = new LinkedHashMap<>();
        about.put("geni_ready", "The VM runs.");
        about.put("geni_notready", "The VM is paused; geni_start resumes it.");
        about.put("geni_configuring", "The VM is being set up; wait for geni_ready.");
        about.put("geni_ready_busy", "The VM runs while a long action completes; it returns to geni_ready.");
        about.put("geni_failed", "The VM failed or is gone; geni_restart recreates it from its image.");
        about.keySet().forEach(s -> actions.put(s, new ArrayList<>()));
        actions.get("geni_notready").add(new OpStateAction(START, "geni_ready", "Resume the VM."));
        actions.get("geni_ready").add(new OpStateAction(STOP, "geni_notready", "Pause the VM."));
        actions.get("geni_ready").add(new OpStateAction(RESTART, "geni_ready",
                "Recreate the VM from its image (disk changes are lost)."));
        actions.get("geni_failed").add(new OpStateAction(RESTART, "geni_ready", "Recreate the VM from its image."));
        for (AmPlugin p : plugins) {
            for (PluginAction a : p.actions()) {
                actions.computeIfAbsent(a.fromState(), s -> new ArrayList<>())
                        .add(new OpStateAction(a.name(), a.nextState(), a.description()));
            }
        }
        List<OpStateState> states = new ArrayList<>();
        actions.forEach((s, a) -> states.add(new OpStateState(s, about.get(s), a)));
        return new OpState(policy.amUrn(), "geni_ready", kinds, states);
    }

    /** The hosts that answered (from the info cache), by id. */
    private Map<String, HostInfo> reachableHosts() {
        Map<String, HostInfo> reachable = new LinkedHashMap<>();
        infoCache.survey(reachable, new LinkedHashMap<>());
        return reachable;
    }

    /** Asks every host for its info now (kept for ListResources too); an unreachable one is logged and left out, never fatal. */
    private void survey(Map<String, HostInfo> reachable, Map<String, String> unreachable) {
        for (String id : hosts.hostIds()) {
            try {
                HostInfo info = hosts.agent(id).info();
                reachable.put(id, info);
                infoCache.record(id, info);
            } catch (HostException | RuntimeException e) {
                LOG.warn("host {} left out: {}", id, e.getMessage());
                unreachable.put(id, e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- Allocate

    @Override
    public Slivers allocate(ApiCall call, String sliceUrnText, String requestRspec) throws GeniException {
        GeniUrn slice = sliceUrn(sliceUrnText);
        CallAuthorizer.Authorization auth = authorizer.authorize(call, slice, AmOperation.CREATE_SLIVER);
        Instant now = clock.instant();
        Instant expires = min(now.plus(policy.allocationLease()), credentialExpiry(auth, now),
                endTime(call.options(), now).orElse(null));
        String key = slice.toString();
        placementLock.lock();
        try {
            return write(key, () -> {
                Optional<SliceRecord> existing = store(() -> store.get(key));
                if (existing.isPresent()) {
                    refuseIfShutDown(existing.get());
                    throw new GeniException(GeniCode.ALREADYEXISTS, "slice " + key + " already has slivers here; this aggregate"
                            + " allows one Allocate per slice (geni_single) until they are deleted");
                }
                RSpec request = RSpecs.parseRequest(requestRspec.getBytes(StandardCharsets.UTF_8), policy.profile(), policy.amUrn());
                for (AmPlugin p : plugins) {
                    p.onAllocate(request);
                }
                List<Node> ours = request.nodes().stream().filter(this::ours).toList();
                if (ours.isEmpty()) {
                    throw new GeniException(GeniCode.BADARGS, "the request has no node for this aggregate (" + policy.amUrn() + ")");
                }
                Map<String, HostInfo> reachable = new LinkedHashMap<>();
                Map<String, String> unreachable = new LinkedHashMap<>();
                survey(reachable, unreachable);
                List<SliceRecord> all = allSlices();
                Placement placement = new Placement(policy, reachable, unreachable, all);
                List<Sliver> slivers = new ArrayList<>();
                Set<String> vmNames = new LinkedHashSet<>();
                String sliceName = SliceModel.sliceName(key);
                for (Node n : ours) {
                    String host = placement.place(n, hosts.hostIds());
                    String id = ids.next();
                    String sliverUrn = GeniUrn.PREFIX + policy.authority() + "+sliver+" + id;
                    try {
                        GeniUrn.parseStrict(sliverUrn);
                    } catch (InvalidUrnException e) {
                        throw new IllegalStateException("the id generator made an invalid sliver name: " + id, e);
                    }
                    String vm = Guest.vmName(sliceName, n.clientId(), id);
                    if (!Guest.VM_NAME.matcher(vm).matches() || !vmNames.add(vm)) {
                        throw new IllegalStateException("VM name " + vm + " is invalid or not unique");
                    }
                    slivers.add(new Sliver(sliverUrn, key, n.clientId(), host, vm, AllocationState.ALLOCATED,
                            OperationalState.PENDING_ALLOCATION, expires, ""));
                }
                Map<String, String> attrs = new LinkedHashMap<>();
                Set<String> ourNodes = new LinkedHashSet<>(ours.stream().map(Node::clientId).toList());
                int vni = nextVni(all);
                SliceModel probe = new SliceModel(new SliceRecord(key, auth.actor().toString(), requestRspec, "", now, List.of()), request);
                Map<String, Integer> vnis = new LinkedHashMap<>();
                for (Link l : request.links()) {
                    if (probe.endpoints(l.clientId()).stream().anyMatch(ourNodes::contains)) {
                        vnis.put(l.clientId(), vni);
                        attrs.put(SliceModel.VNI + l.clientId(), Integer.toString(vni++));
                    }
                }
                String manifest = SliceModel.manifestXml(request, key, slivers, vnis, policy, now);
                SliceRecord rec = new SliceRecord(key, auth.actor().toString(), requestRspec, manifest, now, slivers, attrs);
                store(() -> {
                    store.put(rec);
                    return null;
                });
                LOG.info("allocated {} slivers of {} for {}", slivers.size(), key, auth.actor());
                return new Slivers(key, decorated(rec), statuses(rec, slivers));
            });
        } finally {
            placementLock.unlock();
        }
    }

    private boolean ours(Node n) {
        String cm = n.componentManagerId();
        return cm == null || cm.isBlank() || GeniUrn.same(cm, policy.amUrn());
    }

    /** The lowest VNI from the policy's first one not used by any slice. */
    private int nextVni(List<SliceRecord> all) {
        int max = policy.firstVni() - 1;
        for (SliceRecord s : all) {
            for (Map.Entry<String, String> a : s.attributes().entrySet()) {
                if (a.getKey().startsWith(SliceModel.VNI)) {
                    max = Math.max(max, Integer.parseInt(a.getValue()));
                }
            }
        }
        return max + 1;
    }

    // ---------------------------------------------------------------- Provision

    @Override
    public Slivers provision(ApiCall call, List<String> urns) throws GeniException {
        Target t = resolve(urns);
        CallAuthorizer.Authorization auth = authorizer.authorize(call, t.slice, AmOperation.CREATE_SLIVER);
        boolean bestEffort = call.options().bool("geni_best_effort", false);
        return write(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            refuseIfShutDown(rec);
            List<Sliver> selected = t.select(rec);
            Instant now = clock.instant();
            Instant expires = min(now.plus(policy.maxLease()), credentialExpiry(auth, now), endTime(call.options(), now).orElse(null));
            if (call.options().has("geni_users")) {
                rec = rec.withAttribute(SliceModel.USERS, Guest.usersJson(call.options().asMap().get("geni_users")));
            }
            SliceUsers sliceUsers = SliceUsers.of(rec);
            List<GuestUser> users = sliceUsers.guestUsers();
            rec = sliceUsers.keep(rec);
            SliceModel model = SliceModel.of(rec);
            List<Sliver> todo = selected.stream().filter(s -> s.allocation() == AllocationState.ALLOCATED).toList();
            for (Sliver s : todo) {
                if (!s.expires().isAfter(now)) {
                    throw new GeniException(GeniCode.EXPIRED, "sliver " + s.urn() + " (" + s.clientId() + ") expired at "
                            + s.expires() + " before it was provisioned; Delete the slice and Allocate again");
                }
            }
            Undo undo = new Undo();
            Map<String, Sliver> changed = new LinkedHashMap<>();
            Map<String, String> failedHosts = new LinkedHashMap<>();
            Map<String, SshEndpoint> endpoints = new LinkedHashMap<>();
            try {
                setUpSegments(rec, model, todo, undo, failedHosts, bestEffort);
                Map<String, HostInfo> reachable = reachableHosts();
                for (Sliver s : todo) {
                    if (failedHosts.containsKey(s.host())) {
                        changed.put(s.urn(), s.withOperational(OperationalState.FAILED, failedHosts.get(s.host())));
                        continue;
                    }
                    VmRequest req = vmRequest(rec, model, s, users, reachable);
                    try {
                        VmInfo vm = hosts.agent(s.host()).createVm(req);
                        undo.add(s.host(), "destroying VM " + s.vmName(), a -> a.destroyVm(s.vmName()));
                        endpoints.put(s.vmName(), vm.ssh());
                        changed.put(s.urn(), s.with(AllocationState.PROVISIONED, running(vm)).withExpires(expires));
                    } catch (HostException e) {
                        if (!bestEffort) {
                            throw HostErrors.toGeni(s.host(), "creating VM " + s.vmName() + " for " + s.clientId(), e);
                        }
                        changed.put(s.urn(), s.withOperational(OperationalState.FAILED,
                                HostErrors.text(s.host(), "creating VM " + s.vmName(), e)));
                    }
                }
                List<Sliver> slivers = SliceModel.replace(rec.slivers(), changed);
                SliceRecord withSsh = rec.withSlivers(slivers);
                for (Map.Entry<String, SshEndpoint> e : endpoints.entrySet()) {
                    withSsh = SliceUsers.withEndpoint(withSsh, e.getKey(), e.getValue());
                }
                SliceRecord next = withSsh.withManifest(SliceModel.manifestXml(model, withSsh, slivers, policy, now));
                store(() -> {
                    store.put(next);
                    return null;
                });
                LOG.info("provisioned {} of {} slivers of {}", changed.size(), todo.size(), rec.urn());
                List<Sliver> answer = SliceModel.replace(selected, changed);
                return new Slivers(rec.urn(), decorated(next), statuses(next, answer));
            } catch (GeniException | RuntimeException e) {
                undo.run();
                throw e;
            }
        });
    }

    /**
     * Creates each link's segment on every host of its endpoints (provisioned or being provisioned) and joins
     * the hosts pairwise. A host that fails is recorded in {@code failedHosts} under best effort; otherwise
     * the failure is thrown (the caller undoes what was done).
     */
    private void setUpSegments(SliceRecord rec, SliceModel model, List<Sliver> todo, Undo undo, Map<String, String> failedHosts,
            boolean bestEffort) throws GeniException {
        Map<String, String> hostOfNode = new HashMap<>();
        Set<String> newNodes = new LinkedHashSet<>();
        for (Sliver s : rec.slivers()) {
            if (s.allocation() == AllocationState.PROVISIONED) {
                hostOfNode.put(s.clientId(), s.host());
            }
        }
        for (Sliver s : todo) {
            hostOfNode.put(s.clientId(), s.host());
            newNodes.add(s.clientId());
        }
        Map<String, String> tunnels = new HashMap<>();
        for (Map.Entry<String, Integer> link : model.vnis().entrySet()) {
            Set<String> endpoints = model.endpoints(link.getKey());
            if (endpoints.stream().noneMatch(newNodes::contains)) {
                continue;
            }
            Set<String> linkHosts = new LinkedHashSet<>();
            Set<String> hadIt = new LinkedHashSet<>();
            for (String n : endpoints) {
                String h = hostOfNode.get(n);
                if (h != null) {
                    linkHosts.add(h);
                    if (!newNodes.contains(n)) {
                        hadIt.add(h);
                    }
                }
            }
            SegmentSpec spec = new SegmentSpec(rec.urn(), link.getKey(), link.getValue(), policy.colourPolicy());
            for (String h : linkHosts) {
                if (failedHosts.containsKey(h)) {
                    continue;
                }
                try {
                    hosts.agent(h).createSegment(spec);
                    if (!hadIt.contains(h)) {
                        undo.add(h, "removing segment " + link.getKey(), a -> a.removeSegment(rec.urn(), link.getKey()));
                    }
                } catch (HostException e) {
                    hostFailed(h, "creating segment " + link.getKey() + " (VNI " + link.getValue() + ")", e, failedHosts, bestEffort);
                }
            }
            for (String a : linkHosts) {
                for (String b : linkHosts) {
                    if (a.equals(b) || failedHosts.containsKey(a) || failedHosts.containsKey(b)) {
                        continue;
                    }
                    try {
                        String remote = tunnels.get(b);
                        if (remote == null) {
                            remote = hosts.agent(b).info().tunnelEndpoint();
                            tunnels.put(b, remote);
                        }
                        hosts.agent(a).connectSegment(rec.urn(), link.getKey(), remote);
                    } catch (HostException e) {
                        hostFailed(a, "connecting segment " + link.getKey() + " to host " + b, e, failedHosts, bestEffort);
                    }
                }
            }
        }
    }

    private static void hostFailed(String host, String doing, HostException e, Map<String, String> failed, boolean bestEffort)
            throws GeniException {
        if (!bestEffort) {
            throw HostErrors.toGeni(host, doing, e);
        }
        failed.put(host, HostErrors.text(host, doing, e));
    }

    /**
     * The VM of a sliver, with the slice's users where its host offers guest access (then every VM gets it, so a later
     * geni_update_users reaches it); without users elsewhere. {@code reachable} is one survey of the hosts per call.
     */
    private VmRequest vmRequest(SliceRecord rec, SliceModel model, Sliver s, List<GuestUser> users, Map<String, HostInfo> reachable) {
        HostInfo host = reachable.get(s.host());
        if (host != null && !host.guestAccess()) {
            users = null;
        }
        Node n = model.node(s.clientId());
        List<VmRequest.NicRequest> nics = new ArrayList<>();
        int i = 0;
        for (Interface f : n.interfaces()) {
            String link = model.linkOf(f.clientId());
            String id = "net" + i++;
            if (link == null) {
                continue;
            }
            Ip ip = f.ips().isEmpty() ? null : f.ips().get(0);
            nics.add(new VmRequest.NicRequest(id, Guest.mac(rec.urn(), f.clientId()), link,
                    ip == null ? null : Guest.withPrefix(ip.address(), ip.netmask())));
        }
        Map<String, String> guest = new LinkedHashMap<>();
        guest.put("hostname", s.clientId().replaceAll("[^A-Za-z0-9-]", "-"));
        guest.put("slice", rec.urn());
        return new VmRequest(s.vmName(), rec.urn(), policy.memoryMiB(), policy.vcpus(), Placement.image(n, policy), nics, guest,
                users);
    }

    private static OperationalState running(VmInfo vm) {
        return switch (vm.state()) {
            case RUNNING -> OperationalState.READY;
            case CREATED, PAUSED -> OperationalState.NOTREADY;
            case RESTORED_PAUSED, INCOMING -> OperationalState.CONFIGURING;
            case SHUTOFF, CRASHED -> OperationalState.FAILED;
        };
    }

    // ---------------------------------------------------------------- Status, Describe

    @Override
    public Slivers status(ApiCall call, List<String> urns) throws GeniException {
        Target t = resolve(urns);
        authorizer.authorize(call, t.slice, AmOperation.GET_SLICE_RESOURCES);
        SliceRecord rec = refresh(t);
        return new Slivers(rec.urn(), null, statuses(rec, t.select(rec)));
    }

    @Override
    public Slivers describe(ApiCall call, List<String> urns) throws GeniException {
        Target t = resolve(urns);
        authorizer.authorize(call, t.slice, AmOperation.GET_SLICE_RESOURCES);
        SliceRecord rec = refresh(t);
        return new Slivers(rec.urn(), decorated(rec), statuses(rec, t.select(rec)));
    }

    /**
     * Reads each selected provisioned VM's state from its host under the shared lock, then stores what changed
     * under the exclusive one. A VM that is gone is FAILED; an unreachable host keeps the last state, with the
     * reason in geni_error.
     */
    private SliceRecord refresh(Target t) throws GeniException {
        Map<String, Sliver> changed = new LinkedHashMap<>();
        // VM name → the SSH endpoint its host reports now, where it differs from the stored one (a restore moves it).
        Map<String, Optional<SshEndpoint>> moved = new LinkedHashMap<>();
        SliceRecord seen = read(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            for (Sliver s : t.select(rec)) {
                if (s.allocation() != AllocationState.PROVISIONED) {
                    continue;
                }
                Observed o = observe(s);
                if (!o.sliver.equals(s)) {
                    changed.put(s.urn(), o.sliver);
                }
                if (o.vm != null) {
                    SshEndpoint stored = SliceUsers.endpoint(rec.attributes().get(SliceUsers.SSH + s.vmName()));
                    if (!Objects.equals(stored, o.vm.ssh())) {
                        moved.put(s.vmName(), Optional.ofNullable(o.vm.ssh()));
                    }
                }
            }
            return rec;
        });
        if (changed.isEmpty() && moved.isEmpty()) {
            return seen;
        }
        return write(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            Map<String, Sliver> apply = new LinkedHashMap<>();
            for (Sliver s : rec.slivers()) {
                Sliver c = changed.get(s.urn());
                // Apply only to the sliver as it was observed: a change in between wins.
                if (c != null && seen.slivers().contains(s)) {
                    apply.put(s.urn(), c);
                }
            }
            SliceRecord updated = rec.withSlivers(SliceModel.replace(rec.slivers(), apply));
            for (Map.Entry<String, Optional<SshEndpoint>> m : moved.entrySet()) {
                updated = SliceUsers.withEndpoint(updated, m.getKey(), m.getValue().orElse(null));
            }
            SliceRecord next = updated;
            store(() -> {
                store.put(next);
                return null;
            });
            return next;
        });
    }

    /** A sliver as its host reports it, and the host's VM record (null when the host could not say). */
    private record Observed(Sliver sliver, VmInfo vm) {
    }

    private Observed observe(Sliver s) {
        OperationalState cur = s.operational();
        try {
            VmInfo vm = hosts.agent(s.host()).vm(s.vmName());
            OperationalState seen = running(vm);
            // A plugin's long action (READY_BUSY, CONFIGURING) owns the state while the VM lives.
            if ((cur == OperationalState.READY_BUSY || cur == OperationalState.CONFIGURING) && seen != OperationalState.FAILED) {
                return new Observed(s.error().isEmpty() ? s : s.withOperational(cur, ""), vm);
            }
            String err = seen == OperationalState.FAILED ? "VM " + s.vmName() + " on host " + s.host() + " is "
                    + vm.state().name().toLowerCase() : "";
            return new Observed(s.withOperational(seen, err), vm);
        } catch (HostException e) {
            if (e.reason() == HostException.Reason.NO_SUCH_VM) {
                return new Observed(s.withOperational(OperationalState.FAILED, "VM " + s.vmName() + " is gone from host " + s.host()),
                        null);
            }
            return new Observed(s.withOperational(cur, HostErrors.text(s.host(), "reading VM " + s.vmName(), e)), null);
        }
    }

    // ---------------------------------------------------------------- Renew

    @Override
    public List<SliverStatus> renew(ApiCall call, List<String> urns, Instant expiration) throws GeniException {
        Target t = resolve(urns);
        CallAuthorizer.Authorization auth = authorizer.authorize(call, t.slice, AmOperation.RENEW_SLIVER);
        boolean alap = call.options().bool("geni_extend_alap", false);
        boolean bestEffort = call.options().bool("geni_best_effort", false);
        return write(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            Instant now = clock.instant();
            if (!expiration.isAfter(now)) {
                throw new GeniException(GeniCode.BADARGS, "expiration_time " + expiration + " is not in the future");
            }
            Instant cred = credentialExpiry(auth, now);
            Map<String, Sliver> changed = new LinkedHashMap<>();
            Map<String, String> errors = new HashMap<>();
            for (Sliver s : t.select(rec)) {
                Duration lease = s.allocation() == AllocationState.PROVISIONED ? policy.maxLease() : policy.allocationLease();
                Instant limit = min(now.plus(lease), cred, null);
                Instant until = expiration;
                if (until.isAfter(limit)) {
                    if (!alap) {
                        String why = "sliver " + s.urn() + " can be renewed until " + limit + " at most ("
                                + (limit.equals(cred) ? "the credential's expiry" : "this aggregate's " + lease.toHours()
                                        + "-hour limit") + "), not " + expiration + "; geni_extend_alap renews as far as allowed";
                        if (!bestEffort) {
                            throw new GeniException(GeniCode.OUTOFRANGE, why);
                        }
                        errors.put(s.urn(), why);
                        continue;
                    }
                    until = limit;
                }
                changed.put(s.urn(), s.withExpires(until));
            }
            List<Sliver> slivers = SliceModel.replace(rec.slivers(), changed);
            SliceModel model = SliceModel.of(rec);
            SliceRecord next = rec.withSlivers(slivers).withManifest(SliceModel.manifestXml(model, rec, slivers, policy, now));
            store(() -> {
                store.put(next);
                return null;
            });
            List<SliverStatus> out = new ArrayList<>();
            for (Sliver s : t.select(next)) {
                out.add(withError(status(next, s), errors.get(s.urn())));
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- PerformOperationalAction

    @Override
    public ActionResult performOperationalAction(ApiCall call, List<String> urns, String action) throws GeniException {
        Target t = resolve(urns);
        CallAuthorizer.Authorization auth = authorizer.authorize(call, t.slice, AmOperation.CREATE_SLIVER);
        boolean bestEffort = call.options().bool("geni_best_effort", false);
        boolean known = List.of(START, STOP, RESTART, UPDATE_USERS, UPDATE_USERS_CANCEL).contains(action)
                || plugins.stream().anyMatch(p -> p.actions().stream().anyMatch(a -> a.name().equals(action)));
        if (!known) {
            throw unsupported(action);
        }
        return write(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            refuseIfShutDown(rec);
            List<Sliver> selected = t.select(rec);
            Map<String, String> errors = new HashMap<>();
            List<Sliver> provisioned = new ArrayList<>();
            for (Sliver s : selected) {
                if (s.allocation() == AllocationState.PROVISIONED) {
                    provisioned.add(s);
                } else if (!bestEffort) {
                    throw new GeniException(GeniCode.BADARGS, "sliver " + s.urn() + " (" + s.clientId()
                            + ") is not provisioned; Provision it before " + action);
                } else {
                    errors.put(s.urn(), "not provisioned");
                }
            }
            switch (action) {
                case START, STOP, RESTART:
                    return runStandard(rec, selected, provisioned, action, bestEffort, errors);
                case UPDATE_USERS:
                    return updateUsers(rec, selected, provisioned, call.options().asMap().get("geni_users"), bestEffort, errors);
                case UPDATE_USERS_CANCEL:
                    return new ActionResult(withErrors(rec, selected, errors), null);
                default:
                    Context ctx = new Context(rec, auth.actor().toString());
                    for (AmPlugin p : plugins) {
                        Optional<ActionResult> r = p.perform(ctx, ctx.current, List.copyOf(provisioned), action, call.options());
                        if (r.isPresent()) {
                            return r.get();
                        }
                    }
                    throw unsupported(action);
            }
        });
    }

    /**
     * Stores the new complete user list (logins of new URNs assigned and kept) and sends it to every selected
     * provisioned VM. Without best effort the first host failure restores the previous list on the VMs already
     * updated and fails the call; a VM without guest access (created by an older host) is reported, not fatal.
     */
    private ActionResult updateUsers(SliceRecord rec, List<Sliver> selected, List<Sliver> provisioned, Object option,
            boolean bestEffort, Map<String, String> errors) throws GeniException {
        if (option == null) {
            throw new GeniException(GeniCode.BADARGS, "geni_update_users needs the option geni_users");
        }
        List<GuestUser> before = SliceUsers.of(rec).guestUsers();
        SliceRecord listed = rec.withAttribute(SliceModel.USERS, Guest.usersJson(option));
        SliceUsers su = SliceUsers.of(listed);
        List<GuestUser> users = su.guestUsers();
        SliceRecord next = su.keep(listed);
        Undo undo = new Undo();
        try {
            for (Sliver s : provisioned) {
                if (s.operational() == OperationalState.FAILED) {
                    continue; // no VM to reach; geni_restart recreates it with the stored list
                }
                try {
                    hosts.agent(s.host()).updateUsers(s.vmName(), users);
                    undo.add(s.host(), "restoring the users of " + s.vmName(), a -> a.updateUsers(s.vmName(), before));
                } catch (HostException e) {
                    String text = HostErrors.text(s.host(), "updating the users of VM " + s.vmName(), e);
                    if (!bestEffort && e.reason() != HostException.Reason.UNSUPPORTED_MODE) {
                        throw HostErrors.toGeni(s.host(), "updating the users of VM " + s.vmName(), e);
                    }
                    errors.put(s.urn(), text);
                }
            }
        } catch (GeniException | RuntimeException e) {
            undo.run();
            throw e;
        }
        store(() -> {
            store.put(next);
            return null;
        });
        LOG.info("slice {}: users now {} on {} VMs", rec.urn(), users.stream().map(GuestUser::login).toList(),
                provisioned.size() - errors.size());
        return new ActionResult(withErrors(next, selected, errors), null);
    }

    private static GeniException unsupported(String action) {
        return new GeniException(GeniCode.UNSUPPORTED, "Unsupported: action " + action + " is not supported");
    }

    private ActionResult runStandard(SliceRecord rec, List<Sliver> selected, List<Sliver> provisioned, String action,
            boolean bestEffort, Map<String, String> errors) throws GeniException {
        Map<String, Sliver> changed = new LinkedHashMap<>();
        // A recreated VM has a new SSH port.
        Map<String, SshEndpoint> endpoints = new LinkedHashMap<>();
        Undo undo = new Undo();
        // Surveyed once, by the first sliver that is recreated.
        Map<String, HostInfo> reachable = null;
        try {
            for (Sliver s : provisioned) {
                HostAgent a;
                try {
                    a = hosts.agent(s.host());
                    VmInfo now = action.equals(RESTART) ? null : a.vm(s.vmName());
                    if (now != null && running(now) == OperationalState.FAILED) {
                        // Only geni_restart leaves geni_failed: starting or stopping a VM that is not there is refused.
                        String why = "VM " + s.vmName() + " (" + s.clientId() + ") on host " + s.host() + " is "
                                + now.state().name().toLowerCase() + "; " + action + " cannot act on it, geni_restart recreates it";
                        if (!bestEffort) {
                            throw new GeniException(GeniCode.BADARGS, why);
                        }
                        errors.put(s.urn(), why);
                        changed.put(s.urn(), s.withOperational(OperationalState.FAILED, why));
                        continue;
                    }
                    switch (action) {
                        case START -> {
                            if (now.state() == VmState.PAUSED) {
                                a.resumeVm(s.vmName());
                                undo.add(s.host(), "pausing " + s.vmName(), x -> x.pauseVm(s.vmName()));
                            }
                            changed.put(s.urn(), s.withOperational(OperationalState.READY, ""));
                        }
                        case STOP -> {
                            if (now.state() == VmState.RUNNING) {
                                a.pauseVm(s.vmName());
                                undo.add(s.host(), "resuming " + s.vmName(), x -> x.resumeVm(s.vmName()));
                            }
                            changed.put(s.urn(), s.withOperational(OperationalState.NOTREADY, ""));
                        }
                        default -> {
                            SliceModel model = SliceModel.of(rec);
                            List<GuestUser> users = SliceUsers.of(rec).guestUsers();
                            if (reachable == null) {
                                reachable = reachableHosts();
                            }
                            a.destroyVm(s.vmName());
                            VmInfo vm = a.createVm(vmRequest(rec, model, s, users, reachable));
                            changed.put(s.urn(), s.withOperational(running(vm), ""));
                            endpoints.put(s.vmName(), vm.ssh());
                        }
                    }
                } catch (HostException e) {
                    if (!bestEffort) {
                        GeniException g = HostErrors.toGeni(s.host(), action + " on VM " + s.vmName(), e);
                        if (action.equals(RESTART)) {
                            // The old VM may be gone already: record the failure rather than a state that is no longer true.
                            SliceRecord failed = rec.withSlivers(SliceModel.replace(rec.slivers(),
                                    Map.of(s.urn(), s.withOperational(OperationalState.FAILED, g.getMessage()))));
                            store(() -> {
                                store.put(failed);
                                return null;
                            });
                        }
                        throw g;
                    }
                    errors.put(s.urn(), HostErrors.text(s.host(), action + " on VM " + s.vmName(), e));
                    if (action.equals(RESTART)) {
                        changed.put(s.urn(), s.withOperational(OperationalState.FAILED, errors.get(s.urn())));
                    }
                }
            }
            SliceRecord updated = rec.withSlivers(SliceModel.replace(rec.slivers(), changed));
            for (Map.Entry<String, SshEndpoint> e : endpoints.entrySet()) {
                updated = SliceUsers.withEndpoint(updated, e.getKey(), e.getValue());
            }
            SliceRecord next = updated;
            store(() -> {
                store.put(next);
                return null;
            });
            return new ActionResult(withErrors(next, selected, errors), null);
        } catch (GeniException | RuntimeException e) {
            undo.run();
            throw e;
        }
    }

    // ---------------------------------------------------------------- Delete, Shutdown

    @Override
    public List<SliverStatus> delete(ApiCall call, List<String> urns) throws GeniException {
        Target t = resolve(urns);
        authorizer.authorize(call, t.slice, AmOperation.DELETE_SLICE);
        boolean bestEffort = call.options().bool("geni_best_effort", false);
        return write(t.key(), () -> {
            SliceRecord rec = t.reload(this);
            Map<String, String> errors = new LinkedHashMap<>();
            List<SliverStatus> out = release(rec, t.select(rec), errors);
            if (!errors.isEmpty() && !bestEffort) {
                throw new GeniException(GeniCode.ERROR, "some slivers could not be deleted and remain (the others are gone): "
                        + String.join("; ", errors.values()));
            }
            return out;
        });
    }

    /**
     * Destroys the given slivers' VMs, removes the slice's segments from hosts where none of its VMs is left,
     * and stores what remains (deleting the record when nothing does). A sliver whose VM could not be
     * destroyed stays, with the reason in {@code errors}; a VM already gone counts as destroyed.
     */
    private List<SliverStatus> release(SliceRecord rec, List<Sliver> victims, Map<String, String> errors) throws GeniException {
        Instant now = clock.instant();
        Set<String> gone = new LinkedHashSet<>();
        Set<String> touchedHosts = new LinkedHashSet<>();
        for (Sliver s : victims) {
            if (s.allocation() == AllocationState.PROVISIONED) {
                touchedHosts.add(s.host());
                try {
                    hosts.agent(s.host()).destroyVm(s.vmName());
                } catch (HostException e) {
                    if (e.reason() != HostException.Reason.NO_SUCH_VM) {
                        errors.put(s.urn(), HostErrors.text(s.host(), "destroying VM " + s.vmName(), e));
                        continue;
                    }
                }
            }
            gone.add(s.urn());
        }
        List<Sliver> remaining = rec.slivers().stream().filter(s -> !gone.contains(s.urn())).toList();
        List<String> links = rec.attributes().keySet().stream().filter(k -> k.startsWith(SliceModel.VNI))
                .map(k -> k.substring(SliceModel.VNI.length())).toList();
        for (String h : touchedHosts) {
            boolean stillThere = remaining.stream().anyMatch(s -> s.host().equals(h) && s.allocation() == AllocationState.PROVISIONED);
            if (stillThere) {
                continue;
            }
            for (String link : links) {
                try {
                    hosts.agent(h).removeSegment(rec.urn(), link);
                } catch (HostException e) {
                    LOG.warn("slice {}: segment {} stays on host {}: {}", rec.urn(), link, h, e.getMessage());
                }
            }
        }
        if (remaining.isEmpty()) {
            store(() -> {
                store.delete(rec.urn());
                return null;
            });
            for (AmPlugin p : plugins) {
                try {
                    p.onDelete(rec);
                } catch (RuntimeException e) {
                    LOG.warn("plugin {} failed cleaning up {}", p.name(), rec.urn(), e);
                }
            }
        } else {
            SliceRecord kept = rec.withSlivers(remaining.stream().map(s -> errors.containsKey(s.urn())
                    ? s.withOperational(s.operational(), errors.get(s.urn())) : s).toList());
            for (Sliver s : victims) {
                if (gone.contains(s.urn())) {
                    kept = SliceUsers.withEndpoint(kept, s.vmName(), null);
                }
            }
            SliceRecord next = kept;
            store(() -> {
                store.put(next);
                return null;
            });
        }
        List<SliverStatus> out = new ArrayList<>();
        for (Sliver s : victims) {
            if (gone.contains(s.urn())) {
                out.add(new SliverStatus(s.urn(), now, AllocationState.UNALLOCATED.wire(), s.operational().wire(), "", null));
            } else {
                out.add(withError(status(rec, s), errors.get(s.urn())));
            }
        }
        LOG.info("slice {}: {} slivers deleted, {} remain", rec.urn(), gone.size(), remaining.size());
        return out;
    }

    @Override
    public void shutdown(ApiCall call, String sliceUrnText) throws GeniException {
        GeniUrn slice = sliceUrn(sliceUrnText);
        authorizer.authorize(call, slice, AmOperation.SHUTDOWN);
        String key = slice.toString();
        write(key, () -> {
            SliceRecord rec = store(() -> store.get(key)).orElseThrow(() -> new GeniException(GeniCode.SEARCHFAILED,
                    "slice " + key + " has no slivers here"));
            Map<String, Sliver> changed = new LinkedHashMap<>();
            for (Sliver s : rec.slivers()) {
                if (s.allocation() != AllocationState.PROVISIONED) {
                    continue;
                }
                try {
                    hosts.agent(s.host()).pauseVm(s.vmName());
                    changed.put(s.urn(), s.withOperational(OperationalState.NOTREADY, "shut down by an operator"));
                } catch (HostException e) {
                    changed.put(s.urn(), s.withOperational(s.operational(), "shutdown could not pause it: "
                            + HostErrors.text(s.host(), "pausing VM " + s.vmName(), e)));
                }
            }
            SliceRecord next = rec.withSlivers(SliceModel.replace(rec.slivers(), changed))
                    .withAttribute(SliceModel.SHUTDOWN, clock.instant().toString());
            store(() -> {
                store.put(next);
                return null;
            });
            LOG.warn("slice {} shut down", key);
            return null;
        });
    }

    private static void refuseIfShutDown(SliceRecord rec) throws GeniException {
        String at = rec.attributes().get(SliceModel.SHUTDOWN);
        if (at != null) {
            throw new GeniException(GeniCode.REFUSED, "slice " + rec.urn() + " was shut down at " + at
                    + "; its VMs stay paused until an operator or Delete releases them");
        }
    }

    // ---------------------------------------------------------------- expiry

    /**
     * Releases every sliver past its expiry: unprovisioned ones are dropped, provisioned ones deleted on
     * their hosts (a host that cannot be reached is retried next time). Returns how many slivers went.
     */
    public int reapExpired() {
        int n = 0;
        List<SliceRecord> all;
        try {
            all = allSlices();
        } catch (GeniException e) {
            LOG.error("expiry: cannot list slices: {}", e.getMessage());
            return 0;
        }
        for (SliceRecord s : all) {
            try {
                n += write(s.urn(), () -> {
                    Optional<SliceRecord> rec = store(() -> store.get(s.urn()));
                    if (rec.isEmpty()) {
                        return 0;
                    }
                    Instant now = clock.instant();
                    List<Sliver> expired = rec.get().slivers().stream().filter(v -> !v.expires().isAfter(now)).toList();
                    if (expired.isEmpty()) {
                        return 0;
                    }
                    Map<String, String> errors = new LinkedHashMap<>();
                    release(rec.get(), expired, errors);
                    errors.forEach((u, e) -> LOG.warn("expiry: sliver {} stays: {}", u, e));
                    LOG.info("expiry: slice {}: {} slivers expired", s.urn(), expired.size() - errors.size());
                    return expired.size() - errors.size();
                });
            } catch (GeniException | RuntimeException e) {
                LOG.error("expiry of slice {} failed: {}", s.urn(), e.getMessage(), e);
            }
        }
        return n;
    }

    /** Runs {@link #reapExpired} every {@code period} on the given executor; cancel the returned future to stop. */
    public ScheduledFuture<?> scheduleReaper(ScheduledExecutorService executor, Duration period) {
        long ms = period.toMillis();
        return executor.scheduleWithFixedDelay(this::reapExpired, ms, ms, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- answers

    private List<SliverStatus> statuses(SliceRecord rec, List<Sliver> slivers) {
        List<SliverStatus> out = new ArrayList<>();
        for (Sliver s : slivers) {
            out.add(status(rec, s));
        }
        return out;
    }

    private List<SliverStatus> withErrors(SliceRecord rec, List<Sliver> selected, Map<String, String> errors) {
        List<SliverStatus> out = new ArrayList<>();
        Map<String, Sliver> now = new HashMap<>();
        rec.slivers().forEach(s -> now.put(s.urn(), s));
        for (Sliver s : selected) {
            out.add(withError(status(rec, now.getOrDefault(s.urn(), s)), errors.get(s.urn())));
        }
        return out;
    }

    private static SliverStatus withError(SliverStatus s, String error) {
        if (error == null) {
            return s;
        }
        return new SliverStatus(s.urn(), s.expires(), s.allocationStatus(), s.operationalStatus(), error, s.extra());
    }

    SliverStatus status(SliceRecord rec, Sliver s) {
        Map<String, Object> extra = new LinkedHashMap<>();
        for (AmPlugin p : plugins) {
            try {
                extra.putAll(p.sliverStatusExtras(rec, s));
            } catch (RuntimeException e) {
                LOG.warn("plugin {} failed on the status of {}", p.name(), s.urn(), e);
            }
        }
        return new SliverStatus(s.urn(), s.expires(), s.allocation().wire(), s.operational().wire(), s.error(), extra);
    }

    /** The manifest as returned to callers: rebuilt from the stored request, then decorated by each plugin. */
    private String decorated(SliceRecord rec) throws GeniException {
        SliceModel model = SliceModel.of(rec);
        RSpec m = SliceModel.manifest(model, rec, rec.slivers(), policy, clock.instant());
        for (AmPlugin p : plugins) {
            m = p.decorateManifest(rec, m);
        }
        return RSpecWriter.toString(m);
    }

    // ---------------------------------------------------------------- helpers

    private static GeniUrn sliceUrn(String text) throws GeniException {
        try {
            GeniUrn u = GeniUrn.parseStrict(text);
            if (!u.isType("slice")) {
                throw new GeniException(GeniCode.BADARGS, text + " is a " + u.type() + " URN, not a slice URN");
            }
            return u;
        } catch (InvalidUrnException e) {
            throw new GeniException(GeniCode.BADARGS, "slice_urn: " + e.getMessage());
        }
    }

    /** The slice a call's {@code urns} name and which of its slivers (null: all). */
    record Target(GeniUrn slice, Set<String> slivers) {
        String key() {
            return slice.toString();
        }

        SliceRecord reload(AggregateManager am) throws GeniException {
            return am.store(() -> am.store.get(key())).orElseThrow(() -> new GeniException(GeniCode.SEARCHFAILED,
                    "slice " + key() + " has no slivers here"));
        }

        List<Sliver> select(SliceRecord rec) throws GeniException {
            if (slivers == null) {
                return rec.slivers();
            }
            List<Sliver> out = new ArrayList<>();
            for (Sliver s : rec.slivers()) {
                if (slivers.contains(s.urn())) {
                    out.add(s);
                }
            }
            if (out.size() != slivers.size()) {
                throw new GeniException(GeniCode.SEARCHFAILED, "some slivers are no longer in slice " + key());
            }
            return out;
        }
    }

    /** Decodes {@code urns}: one slice URN, or sliver URNs all of one slice (unknown: SEARCHFAILED). */
    private Target resolve(List<String> urns) throws GeniException {
        if (urns.isEmpty()) {
            throw new GeniException(GeniCode.BADARGS, "urns must name a slice or at least one sliver");
        }
        List<GeniUrn> parsed = new ArrayList<>();
        for (String u : urns) {
            try {
                parsed.add(GeniUrn.parse(u));
            } catch (InvalidUrnException e) {
                throw new GeniException(GeniCode.BADARGS, "urns: " + e.getMessage());
            }
        }
        if (parsed.get(0).isType("slice")) {
            if (parsed.size() > 1) {
                throw new GeniException(GeniCode.BADARGS, "urns names a slice and more: give one slice URN or sliver URNs of one slice");
            }
            return new Target(sliceUrn(urns.get(0)), null);
        }
        Map<String, String> sliceOf = new HashMap<>();
        for (SliceRecord s : allSlices()) {
            for (Sliver v : s.slivers()) {
                sliceOf.put(v.urn(), s.urn());
            }
        }
        String slice = null;
        Set<String> wanted = new LinkedHashSet<>();
        for (int i = 0; i < urns.size(); i++) {
            if (!parsed.get(i).isType("sliver")) {
                throw new GeniException(GeniCode.BADARGS, urns.get(i) + " is neither a slice nor a sliver URN");
            }
            String s = sliceOf.get(urns.get(i));
            if (s == null) {
                throw new GeniException(GeniCode.SEARCHFAILED, "sliver " + urns.get(i) + " is not known here");
            }
            if (slice != null && !slice.equals(s)) {
                throw new GeniException(GeniCode.BADARGS, "urns name slivers of more than one slice (" + slice + ", " + s + ")");
            }
            slice = s;
            wanted.add(urns.get(i));
        }
        return new Target(sliceUrn(slice), wanted);
    }

    /** The credential's expiry, or null when the call carried none (only ListResources may). */
    private static Instant credentialExpiry(CallAuthorizer.Authorization a, Instant now) {
        return a.credential().map(c -> c.expires()).orElse(null);
    }

    private static Optional<Instant> endTime(Options o, Instant now) throws GeniException {
        Optional<Instant> t = o.time("geni_end_time");
        if (t.isPresent() && !t.get().isAfter(now)) {
            throw new GeniException(GeniCode.BADARGS, "geni_end_time " + t.get() + " is not in the future");
        }
        return t;
    }

    /** The earliest of the non-null instants. */
    private static Instant min(Instant a, Instant b, Instant c) {
        Instant m = a;
        for (Instant x : new Instant[] {b, c}) {
            if (x != null && (m == null || x.isBefore(m))) {
                m = x;
            }
        }
        return m;
    }

    private List<SliceRecord> allSlices() throws GeniException {
        return store(store::all);
    }

    /** A store call whose failure becomes DBERROR (nothing was changed by it). */
    @FunctionalInterface
    interface StoreCall<T> {
        T run() throws SliceStore.StoreFailure;
    }

    <T> T store(StoreCall<T> c) throws GeniException {
        try {
            return c.run();
        } catch (SliceStore.StoreFailure e) {
            LOG.error("slice store failed", e);
            throw new GeniException(GeniCode.DBERROR, "the aggregate's slice store failed: " + e.getMessage(), e);
        }
    }

    /** Work done under a slice's lock. */
    @FunctionalInterface
    interface SliceWork<T> {
        T run() throws GeniException;
    }

    private ReentrantReadWriteLock lockOf(String slice) {
        return sliceLocks.computeIfAbsent(slice, k -> new ReentrantReadWriteLock(true));
    }

    private <T> T write(String slice, SliceWork<T> w) throws GeniException {
        Lock l = lockOf(slice).writeLock();
        l.lock();
        try {
            return w.run();
        } finally {
            l.unlock();
        }
    }

    private <T> T read(String slice, SliceWork<T> w) throws GeniException {
        Lock l = lockOf(slice).readLock();
        l.lock();
        try {
            return w.run();
        } finally {
            l.unlock();
        }
    }

    /** Host calls to reverse, newest first, when an all-or-nothing call fails half way. */
    private final class Undo {
        private record Step(String host, String what, HostStep step) {
        }

        private final List<Step> steps = new ArrayList<>();

        void add(String host, String what, HostStep step) {
            steps.add(new Step(host, what, step));
        }

        void run() {
            for (int i = steps.size() - 1; i >= 0; i--) {
                Step s = steps.get(i);
                try {
                    s.step.run(hosts.agent(s.host));
                } catch (HostException | RuntimeException e) {
                    LOG.error("rollback on host {} failed while {}: {}", s.host, s.what, e.getMessage());
                }
            }
            steps.clear();
        }
    }

    @FunctionalInterface
    private interface HostStep {
        void run(HostAgent agent) throws HostException;
    }

    /** Lets plugins work on a slice outside a call, under the slice's lock, as the AM itself. */
    private final class Host implements PluginHost {
        @Override
        public <T> Optional<T> withSlice(String sliceUrn, PluginHost.SliceWork<T> work) throws GeniException {
            return write(sliceUrn, () -> {
                Optional<SliceRecord> rec = store(() -> store.get(sliceUrn));
                if (rec.isEmpty()) {
                    return Optional.empty();
                }
                Context ctx = new Context(rec.get(), policy.amUrn());
                return Optional.ofNullable(work.run(ctx, rec.get()));
            });
        }

        @Override
        public List<String> sliceUrns() throws GeniException {
            return allSlices().stream().map(SliceRecord::urn).toList();
        }
    }

    /** The plugin context of one POA call, holding the slice lock the call holds. */
    private final class Context implements PluginContext {
        SliceRecord current;
        private final String actor;

        Context(SliceRecord rec, String actor) {
            this.current = rec;
            this.actor = actor;
        }

        @Override
        public HostRegistry hosts() {
            return hosts;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public AmPolicy policy() {
            return policy;
        }

        @Override
        public String actor() {
            return actor;
        }

        @Override
        public SliceRecord setOperational(List<String> sliverUrns, OperationalState state, String error) throws GeniException {
            Map<String, Sliver> changed = new LinkedHashMap<>();
            Set<String> wanted = new LinkedHashSet<>(sliverUrns);
            for (Sliver s : current.slivers()) {
                if (wanted.remove(s.urn())) {
                    changed.put(s.urn(), s.withOperational(state, error));
                }
            }
            if (!wanted.isEmpty()) {
                throw new GeniException(GeniCode.BADARGS, "no such slivers in " + current.urn() + ": " + wanted);
            }
            SliceRecord next = current.withSlivers(SliceModel.replace(current.slivers(), changed));
            store(() -> {
                store.put(next);
                return null;
            });
            current = next;
            return next;
        }

        @Override
        public SliceRecord moveSlivers(Map<String, String> hostBySliverUrn) throws GeniException {
            Set<String> known = new LinkedHashSet<>(hosts.hostIds());
            Map<String, Sliver> changed = new LinkedHashMap<>();
            Set<String> wanted = new LinkedHashSet<>(hostBySliverUrn.keySet());
            Set<String> left = new LinkedHashSet<>();
            for (Sliver s : current.slivers()) {
                String to = hostBySliverUrn.get(s.urn());
                if (wanted.remove(s.urn()) && !s.host().equals(to)) {
                    if (!known.contains(to)) {
                        throw new GeniException(GeniCode.BADARGS, "no host '" + to + "' in this aggregate");
                    }
                    changed.put(s.urn(), s.withHost(to));
                    left.add(s.host());
                }
            }
            if (!wanted.isEmpty()) {
                throw new GeniException(GeniCode.BADARGS, "no such slivers in " + current.urn() + ": " + wanted);
            }
            SliceRecord next = current.withSlivers(SliceModel.replace(current.slivers(), changed));
            store(() -> {
                store.put(next);
                return null;
            });
            current = next;
            // A host the move left without a VM of the slice keeps no segment of it (as when its slivers are deleted).
            List<String> links = next.attributes().keySet().stream().filter(k -> k.startsWith(SliceModel.VNI))
                    .map(k -> k.substring(SliceModel.VNI.length())).toList();
            for (String h : left) {
                if (next.slivers().stream().noneMatch(s -> s.host().equals(h) && s.allocation() == AllocationState.PROVISIONED)) {
                    for (String link : links) {
                        try {
                            hosts.agent(h).removeSegment(next.urn(), link);
                        } catch (HostException e) {
                            LOG.warn("slice {}: segment {} stays on host {}: {}", next.urn(), link, h, e.getMessage());
                        }
                    }
                }
            }
            LOG.info("slice {}: slivers moved {}", next.urn(), changed.values().stream().map(s -> s.vmName() + "->" + s.host()).toList());
            return next;
        }

        @Override
        public SliverStatus status(Sliver sliver) {
            return AggregateManager.this.status(current, sliver);
        }
    }
}
