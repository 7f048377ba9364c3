package net.vnsnap.am.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import net.vnsnap.am.slice.AllocationState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.model.SliverType;

/**
 * Chooses a host for each requested VM: a node bound to one of our hosts goes there, any other to the
 * least loaded host that runs its sliver kind and image and has room. Load counts running VMs plus
 * slivers allocated but not yet provisioned, so two Allocates cannot promise the same room.
 */
final class Placement {

    /** One reachable host and how many VMs it has or has promised. */
    static final class Load {
        final String id;
        final HostInfo info;
        int used;

        Load(String id, HostInfo info, int used) {
            this.id = id;
            this.info = info;
            this.used = used;
        }

        boolean hasRoom() {
            return used < info.maxVms();
        }
    }

    private final AmPolicy policy;
    private final Map<String, Load> loads = new LinkedHashMap<>();
    /** Hosts that did not answer info(), with the reason, for error messages. */
    private final Map<String, String> unreachable;

    Placement(AmPolicy policy, Map<String, HostInfo> reachable, Map<String, String> unreachable, List<SliceRecord> slices) {
        this.policy = policy;
        this.unreachable = unreachable;
        Map<String, Integer> pending = new HashMap<>();
        for (SliceRecord s : slices) {
            for (Sliver v : s.slivers()) {
                if (v.allocation() == AllocationState.ALLOCATED) {
                    pending.merge(v.host(), 1, Integer::sum);
                }
            }
        }
        reachable.forEach((id, info) -> loads.put(id, new Load(id, info, info.runningVms() + pending.getOrDefault(id, 0))));
    }

    Map<String, Load> loads() {
        return loads;
    }

    /** The image a node asks for (short name, or the name part of an image URN), or the policy's default. */
    static String image(Node n, AmPolicy policy) {
        return n.sliverType().flatMap(SliverType::diskImage).map(DiskImage::ref).map(r -> r.imageName())
                .orElse(policy.defaultImage());
    }

    static Optional<SliverKind> kindOf(String hypervisor) {
        String h = hypervisor == null ? "" : hypervisor.toLowerCase(Locale.ROOT);
        if (h.startsWith("xen")) {
            return Optional.of(SliverKind.XEN_VM);
        }
        if (h.startsWith("qemu") || h.startsWith("kvm")) {
            return Optional.of(SliverKind.QEMU_VM);
        }
        return Optional.empty();
    }

    /** The host id a node's component_id binds it to, or empty for an unbound node. */
    Optional<String> boundHost(Node n, List<String> hostIds) throws GeniException {
        String cid = n.componentId();
        if (cid == null || cid.isBlank()) {
            return Optional.empty();
        }
        try {
            GeniUrn u = GeniUrn.parse(cid);
            if (u.isType("node") && u.authority().equalsIgnoreCase(policy.authority()) && hostIds.contains(u.name())) {
                return Optional.of(u.name());
            }
        } catch (InvalidUrnException e) {
            throw new GeniException(GeniCode.BADARGS, "node '" + n.clientId() + "': component_id " + e.getMessage());
        }
        throw new GeniException(GeniCode.BADARGS, "node '" + n.clientId() + "' is bound to " + cid
                + ", which is not a host of this aggregate (hosts: " + String.join(", ", hostIds.stream()
                        .map(policy::nodeUrn).toList()) + ")");
    }

    /** Places one node, counting it against the chosen host; REFUSED when no host has room. */
    String place(Node n, List<String> hostIds) throws GeniException {
        Optional<SliverKind> kind = n.sliverType().flatMap(SliverType::kind);
        String image = image(n, policy);
        Optional<String> bound = boundHost(n, hostIds);
        List<Load> fitting = new ArrayList<>();
        for (Load l : loads.values()) {
            if (bound.isPresent() && !bound.get().equals(l.id)) {
                continue;
            }
            if (kind.isPresent() && !kindOf(l.info.hypervisor()).equals(kind)) {
                continue;
            }
            if (!l.info.images().contains(image)) {
                continue;
            }
            fitting.add(l);
        }
        String what = "node '" + n.clientId() + "' (" + kind.map(SliverKind::wire).orElse("any VM") + ", image " + image + ")";
        if (fitting.isEmpty()) {
            if (bound.isPresent() && unreachable.containsKey(bound.get())) {
                throw new GeniException(GeniCode.UNAVAILABLE, what + ": host " + bound.get() + " cannot be reached: "
                        + unreachable.get(bound.get()));
            }
            if (bound.isPresent() && loads.containsKey(bound.get())) {
                throw new GeniException(GeniCode.BADARGS, what + ": host " + bound.get() + " does not offer this sliver type and image");
            }
            throw new GeniException(unreachable.isEmpty() ? GeniCode.BADARGS : GeniCode.UNAVAILABLE,
                    what + ": no " + (unreachable.isEmpty() ? "" : "reachable ") + "host of this aggregate offers this sliver type and image");
        }
        Load best = null;
        for (Load l : fitting) {
            if (l.hasRoom() && (best == null || free(l) > free(best))) {
                best = l;
            }
        }
        if (best == null) {
            throw new GeniException(GeniCode.REFUSED, what + ": no room: "
                    + (bound.isPresent() ? "host " + bound.get() + " is" : "every suitable host is") + " full ("
                    + String.join(", ", fitting.stream().map(l -> l.id + " " + l.used + "/" + l.info.maxVms()).toList())
                    + " VMs)");
        }
        best.used++;
        return best.id;
    }

    private static double free(Load l) {
        return (l.info.maxVms() - l.used) / (double) l.info.maxVms();
    }
}
