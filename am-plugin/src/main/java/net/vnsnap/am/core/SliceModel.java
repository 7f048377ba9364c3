package net.vnsnap.am.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.vnsnap.am.slice.AllocationState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.am.InterfaceGrant;
import net.vnsnap.rspec.am.LinkGrant;
import net.vnsnap.rspec.am.ManifestBuilder;
import net.vnsnap.rspec.am.NodeGrant;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.io.RSpecWriter;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.InterfaceRef;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;

/**
 * A slice's request read back from its record, with what the core derives from it: which links join
 * which nodes, each link's VNI, each NIC, and the manifest (rebuilt the same way every time, so nothing
 * but the request, the slivers and the attributes has to be stored).
 */
final class SliceModel {

    static final String VNI = "vni.";
    static final String USERS = "users";
    static final String SHUTDOWN = "shutdown";

    final SliceRecord record;
    final RSpec request;
    /** interface client_id → link client_id, for NICs. */
    private final Map<String, String> linkOfIface = new HashMap<>();
    /** link client_id → the nodes it joins, computed once (requests may have thousands of nodes). */
    private final Map<String, Set<String>> endpoints = new HashMap<>();

    SliceModel(SliceRecord record, RSpec request) {
        this.record = record;
        this.request = request;
        Map<String, String> nodeOfIface = new HashMap<>();
        for (Node n : request.nodes()) {
            for (Interface i : n.interfaces()) {
                nodeOfIface.put(i.clientId(), n.clientId());
            }
        }
        for (Link l : request.links()) {
            Set<String> nodes = endpoints.computeIfAbsent(l.clientId(), k -> new LinkedHashSet<>());
            for (InterfaceRef r : l.interfaceRefs()) {
                linkOfIface.putIfAbsent(r.clientId(), l.clientId());
                String n = nodeOfIface.get(r.clientId());
                if (n != null) {
                    nodes.add(n);
                }
            }
        }
    }

    static SliceModel of(SliceRecord record) throws GeniException {
        try {
            return new SliceModel(record, new RSpecReader().read(record.request()));
        } catch (RSpecException e) {
            throw new GeniException(net.vnsnap.certs.GeniCode.SERVERERROR, "the stored request of " + record.urn()
                    + " cannot be read back: " + e.getMessage(), e);
        }
    }

    Node node(String clientId) {
        return request.node(clientId).orElseThrow(() -> new IllegalStateException("stored request lacks node " + clientId));
    }

    /** Links with a VNI (those touching our nodes), by client_id, in document order. */
    Map<String, Integer> vnis() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Link l : request.links()) {
            String v = record.attributes().get(VNI + l.clientId());
            if (v != null) {
                out.put(l.clientId(), Integer.parseInt(v));
            }
        }
        return out;
    }

    /** The nodes (client_ids) a link joins. */
    Set<String> endpoints(String linkId) {
        return endpoints.getOrDefault(linkId, Set.of());
    }

    /** The link an interface is attached to, or null. */
    String linkOf(String ifaceClientId) {
        return linkOfIface.get(ifaceClientId);
    }

    static String sliverName(String sliverUrn) {
        return sliverUrn.substring(sliverUrn.lastIndexOf('+') + 1);
    }

    /** The manifest for these slivers: sliver and component ids, MACs, link sliver ids, the latest expiry. */
    static RSpec manifest(RSpec request, String sliceUrn, List<Sliver> slivers, Map<String, Integer> vnis, AmPolicy policy,
            Instant now) throws RSpecException {
        return manifest(request, sliceUrn, slivers, vnis, Map.of(), policy, now);
    }

    /** The manifest of a stored slice, with each provisioned VM's SSH logins. */
    static RSpec manifest(SliceModel model, SliceRecord rec, List<Sliver> slivers, AmPolicy policy, Instant now)
            throws RSpecException, GeniException {
        return manifest(model.request, rec.urn(), slivers, model.vnis(), SliceUsers.loginsByVm(rec), policy, now);
    }

    static String manifestXml(SliceModel model, SliceRecord rec, List<Sliver> slivers, AmPolicy policy, Instant now)
            throws RSpecException, GeniException {
        return RSpecWriter.toString(manifest(model, rec, slivers, policy, now));
    }

    /**
     * The manifest for these slivers, with {@code services/login} of each VM listed in {@code logins} (by VM name):
     * one {@code ssh-keys} login per user, on the host's SSH address and the VM's forwarded port.
     */
    static RSpec manifest(RSpec request, String sliceUrn, List<Sliver> slivers, Map<String, Integer> vnis,
            Map<String, List<Login>> logins, AmPolicy policy, Instant now) throws RSpecException {
        Instant expires = null;
        ManifestBuilder mb = ManifestBuilder.from(request, policy.amUrn()).generated(now);
        for (Sliver v : slivers) {
            expires = expires == null || v.expires().isAfter(expires) ? v.expires() : expires;
            Node n = request.node(v.clientId()).orElse(null);
            if (n == null) {
                continue;
            }
            Map<String, InterfaceGrant> ifs = new LinkedHashMap<>();
            int i = 0;
            for (Interface f : n.interfaces()) {
                ifs.put(f.clientId(), new InterfaceGrant(v.urn() + ".if" + i++, Guest.mac(sliceUrn, f.clientId()), null));
            }
            List<Login> l = v.allocation() == AllocationState.PROVISIONED ? logins.getOrDefault(v.vmName(), List.of()) : List.of();
            mb.node(v.clientId(), new NodeGrant(v.urn(), policy.nodeUrn(v.host()), null, l, ifs, null));
        }
        String sliceName = sliceName(sliceUrn);
        vnis.forEach((link, vni) -> mb.link(link, new LinkGrant(GeniUrn.PREFIX + policy.authority() + "+sliver+"
                + sliceName + "-lnk" + vni, null)));
        return mb.expires(expires).build();
    }

    static String manifestXml(RSpec request, String sliceUrn, List<Sliver> slivers, Map<String, Integer> vnis, AmPolicy policy,
            Instant now) throws RSpecException {
        return RSpecWriter.toString(manifest(request, sliceUrn, slivers, vnis, policy, now));
    }

    static String sliceName(String sliceUrn) {
        String n = sliverName(sliceUrn);
        return n.replaceAll("[^A-Za-z0-9-]", "");
    }

    static List<Sliver> replace(List<Sliver> all, Map<String, Sliver> changed) {
        List<Sliver> out = new ArrayList<>();
        for (Sliver s : all) {
            out.add(changed.getOrDefault(s.urn(), s));
        }
        return out;
    }
}
