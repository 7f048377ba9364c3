package net.vnsnap.am.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.SnapshotProgress;
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;

/**
 * A host agent in memory for AM tests: keeps VMs, segments and tunnels as a real agent would report them,
 * and fails chosen methods on demand. Snapshot methods are not its business and say so.
 */
final class FakeHost implements HostAgent {

    final String id;
    final String hypervisor;
    final int maxVms;
    final List<String> images;
    final Map<String, VmRequest> requests = new TreeMap<>();
    final Map<String, VmState> states = new TreeMap<>();
    final Map<String, SegmentSpec> segments = new TreeMap<>();
    /** "slice|link -> remote endpoint" for every connectSegment. */
    final Set<String> tunnels = new TreeSet<>();
    /** method name → the failure it throws (every time, until cleared). */
    final Map<String, HostException> failures = new HashMap<>();
    /** Every mutating call, in order, for tests that check what was asked. */
    final List<String> log = new ArrayList<>();
    /** Whether this host offers guest access (like a Xen host today when false). */
    volatile boolean guestAccess = true;
    /** The users each VM with guest access holds now (from its request, then updateUsers). */
    final Map<String, List<GuestUser>> users = new TreeMap<>();
    /** The SSH forward port of each VM with guest access; {@link #moveSshPort} models a restore onto another port. */
    final Map<String, Integer> sshPorts = new TreeMap<>();
    /** The next SSH port handed out. */
    private int nextSshPort = 22000;

    FakeHost(String id, String hypervisor, int maxVms, List<String> images) {
        this.id = id;
        this.hypervisor = hypervisor;
        this.maxVms = maxVms;
        this.images = List.copyOf(images);
    }

    String tunnelEndpoint() {
        return id + ".example.net:4789";
    }

    synchronized void fail(String method, HostException.Reason reason) {
        failures.put(method, new HostException(reason, "injected failure of " + method + " on " + id));
    }

    synchronized void heal() {
        failures.clear();
    }

    private void check(String method) throws HostException {
        HostException e = failures.get(method);
        if (e == null) {
            e = failures.get("*");
        }
        if (e != null) {
            throw e;
        }
    }

    /** The state a test compares before and after a refused call. */
    synchronized String snapshot() {
        return "vms=" + states + " requests=" + requests.keySet() + " segments=" + segments + " tunnels=" + tunnels;
    }

    @Override
    public synchronized HostInfo info() throws HostException {
        check("info");
        return new HostInfo(id, hypervisor, "1.0", "tcg", Set.of(SnapshotMode.LIVE, SnapshotMode.COW), 1L << 30, tunnelEndpoint(),
                images, maxVms, states.size(), guestAccess);
    }

    @Override
    public synchronized void createSegment(SegmentSpec segment) throws HostException {
        check("createSegment");
        String k = segment.slice() + "|" + segment.link();
        SegmentSpec old = segments.get(k);
        if (old != null && !old.equals(segment)) {
            throw new HostException(HostException.Reason.CONFLICT, "segment " + k + " exists with other settings");
        }
        segments.put(k, segment);
        log.add("createSegment " + segment.link() + " vni=" + segment.vni());
    }

    @Override
    public synchronized void connectSegment(String slice, String link, String remote) throws HostException {
        check("connectSegment");
        if (!segments.containsKey(slice + "|" + link)) {
            throw new HostException(HostException.Reason.BAD_REQUEST, "no segment " + link);
        }
        tunnels.add(slice + "|" + link + " -> " + remote);
        log.add("connectSegment " + link + " " + remote);
    }

    @Override
    public synchronized void removeSegment(String slice, String link) throws HostException {
        check("removeSegment");
        segments.remove(slice + "|" + link);
        tunnels.removeIf(t -> t.startsWith(slice + "|" + link + " -> "));
        log.add("removeSegment " + link);
    }

    @Override
    public synchronized VmInfo createVm(VmRequest r) throws HostException {
        check("createVm");
        if (!net.vnsnap.am.core.Guest.VM_NAME.matcher(r.name()).matches()) {
            throw new HostException(HostException.Reason.BAD_REQUEST, "bad VM name " + r.name());
        }
        if (states.containsKey(r.name())) {
            throw new HostException(HostException.Reason.CONFLICT, "VM " + r.name() + " exists");
        }
        if (!images.contains(r.image())) {
            throw new HostException(HostException.Reason.BAD_REQUEST, "no image " + r.image());
        }
        for (VmRequest.NicRequest n : r.nics()) {
            if (!segments.containsKey(r.slice() + "|" + n.link())) {
                throw new HostException(HostException.Reason.BAD_REQUEST, "NIC " + n.id() + " names no segment " + n.link());
            }
        }
        if (states.size() >= maxVms) {
            throw new HostException(HostException.Reason.INTERNAL, "host full");
        }
        requests.put(r.name(), r);
        states.put(r.name(), VmState.RUNNING);
        if (r.users() != null) {
            users.put(r.name(), r.users());
            sshPorts.put(r.name(), nextSshPort++);
        }
        log.add("createVm " + r.name());
        return vm(r.name());
    }

    @Override
    public synchronized VmInfo vm(String name) throws HostException {
        check("vm");
        VmState s = states.get(name);
        if (s == null) {
            throw new HostException(HostException.Reason.NO_SUCH_VM, "no VM " + name + " on " + id);
        }
        Integer port = sshPorts.get(name);
        return new VmInfo(name, requests.get(name).slice(), s, "", "", port == null ? null : new SshEndpoint(sshHost(), port));
    }

    @Override
    public synchronized List<VmInfo> vms() throws HostException {
        check("vms");
        List<VmInfo> out = new ArrayList<>();
        for (String n : states.keySet()) {
            out.add(vm(n));
        }
        return out;
    }

    @Override
    public synchronized void pauseVm(String name) throws HostException {
        check("pauseVm");
        vm(name);
        states.put(name, VmState.PAUSED);
        log.add("pauseVm " + name);
    }

    @Override
    public synchronized void resumeVm(String name) throws HostException {
        check("resumeVm");
        vm(name);
        states.put(name, VmState.RUNNING);
        log.add("resumeVm " + name);
    }

    @Override
    public synchronized void destroyVm(String name) throws HostException {
        check("destroyVm");
        states.remove(name);
        requests.remove(name);
        users.remove(name);
        sshPorts.remove(name);
        log.add("destroyVm " + name);
    }

    @Override
    public synchronized void updateUsers(String name, List<GuestUser> list) throws HostException {
        check("updateUsers");
        vm(name);
        if (!users.containsKey(name)) {
            throw new HostException(HostException.Reason.UNSUPPORTED_MODE, "VM " + name + " has no guest access");
        }
        users.put(name, List.copyOf(list));
        log.add("updateUsers " + name + " " + list.stream().map(GuestUser::login).toList());
    }

    /** The address the fake reports for SSH forwards. */
    String sshHost() {
        return id + ".ssh.example.net";
    }

    /** Gives a VM another SSH port, as a restore does when its old one is taken; returns the new port. */
    synchronized int moveSshPort(String name) {
        int p = nextSshPort++;
        sshPorts.put(name, p);
        return p;
    }

    private static HostException noSnapshots() {
        return new HostException(HostException.Reason.UNSUPPORTED_MODE, "the fake host takes no snapshots");
    }

    @Override
    public PrepareResult prepareSnapshot(SnapshotPlan plan) throws HostException {
        throw noSnapshots();
    }

    @Override
    public List<VmCut> takeSnapshot(String snapshotId, Instant cutAt) throws HostException {
        throw noSnapshots();
    }

    @Override
    public HostSnapshot commitSnapshot(String snapshotId) throws HostException {
        throw noSnapshots();
    }

    @Override
    public void abortSnapshot(String snapshotId) throws HostException {
        throw noSnapshots();
    }

    @Override
    public SnapshotProgress progress(String snapshotId) throws HostException {
        throw noSnapshots();
    }

    @Override
    public List<HostSnapshot> snapshots() {
        return List.of();
    }

    @Override
    public void deleteSnapshot(String snapshotId) {
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch) throws HostException {
        throw noSnapshots();
    }

    @Override
    public List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException {
        throw noSnapshots();
    }

    static Map<String, net.vnsnap.host.api.HostAgent> registry(FakeHost... hosts) {
        Map<String, net.vnsnap.host.api.HostAgent> m = new LinkedHashMap<>();
        for (FakeHost h : hosts) {
            m.put(h.id, h);
        }
        return m;
    }

    static Set<String> names(Map<String, ?> m) {
        return new LinkedHashSet<>(m.keySet());
    }
}
