package net.vnsnap.rspec.validate;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.InterfaceRef;
import net.vnsnap.rspec.model.Ip;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.LinkProperty;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Pos;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.model.SliverType;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotSettings;

/**
 * The semantic checks a request must pass before Allocate (unique client_ids, resolvable interface_refs,
 * links with two or more ends, well-formed IP addresses, known sliver types and disk images, snapshot
 * settings this aggregate can honour), each problem an RSpecException naming its line.
 */
public final class RequestChecker {

    /** What the aggregate offers; checks against sliver kinds and snapshot modes use it. */
    private final AggregateProfile profile;
    /**
     * This aggregate's URN, or null: nodes bound to another component manager (multi-aggregate requests)
     * then skip the sliver-type, image and snapshot checks, which only their own aggregate can judge.
     */
    private final String amUrn;

    public RequestChecker(AggregateProfile profile, String amUrn) {
        this.profile = profile;
        this.amUrn = amUrn;
    }

    public RequestChecker(AggregateProfile profile) {
        this(profile, null);
    }

    public RequestChecker() {
        this(AggregateProfile.defaults(), null);
    }

    /** Throws the first problem (in document order), its message telling how many more there are. */
    public void check(RSpec request) throws RSpecException {
        List<RSpecException> all = problems(request);
        if (!all.isEmpty()) {
            RSpecException first = all.get(0);
            if (all.size() == 1) {
                throw first;
            }
            throw new RSpecException(first.line(), first.column(), first.detail() + " (and " + (all.size() - 1)
                    + " more problem" + (all.size() > 2 ? "s" : "") + ")", null);
        }
    }

    /** Every problem found, in document order. */
    public List<RSpecException> problems(RSpec request) {
        List<RSpecException> out = new ArrayList<>();
        if (request.type() != RSpecType.REQUEST) {
            out.add(RSpecException.at(request.pos(), "rspec type is '" + request.type().wire()
                    + "', but a request RSpec is needed here"));
        }
        Map<String, Pos> ids = new HashMap<>();
        Map<String, String> ifaceOwner = new HashMap<>();
        for (Node n : request.nodes()) {
            node(n, ids, ifaceOwner, out);
        }
        for (Link l : request.links()) {
            link(l, ids, ifaceOwner, out);
        }
        out.sort((a, b) -> Integer.compare(a.line() < 0 ? Integer.MAX_VALUE : a.line(),
                b.line() < 0 ? Integer.MAX_VALUE : b.line()));
        return out;
    }

    private void node(Node n, Map<String, Pos> ids, Map<String, String> ifaceOwner, List<RSpecException> out) {
        String who = n.clientId() == null ? "node" : "node '" + n.clientId() + "'";
        if (n.clientId() == null || n.clientId().isBlank()) {
            out.add(RSpecException.at(n.pos(), "node has no client_id"));
        } else {
            unique(n.clientId(), n.pos(), who, ids, out);
        }
        if (!ours(n.componentManagerId())) {
            for (Interface i : n.interfaces()) {
                iface(n, who, i, ids, ifaceOwner, out);
            }
            return;
        }
        List<SliverType> types = n.sliverTypes();
        Optional<SliverKind> kind = Optional.of(SliverKind.XEN_VM);
        if (types.size() > 1) {
            out.add(RSpecException.at(types.get(1).pos(), who + ": has " + types.size()
                    + " sliver_type elements; a node takes exactly one"));
        }
        if (!types.isEmpty()) {
            SliverType t = types.get(0);
            kind = t.kind().filter(profile::offers);
            if (kind.isEmpty()) {
                out.add(RSpecException.at(t.pos(), who + ": unknown sliver type '" + t.name()
                        + "'; this aggregate offers " + offered()));
            }
            for (DiskImage d : t.diskImages()) {
                try {
                    d.ref();
                } catch (IllegalArgumentException e) {
                    out.add(RSpecException.at(d.pos(), who + ": " + e.getMessage()));
                }
            }
        }
        for (Interface i : n.interfaces()) {
            iface(n, who, i, ids, ifaceOwner, out);
        }
        snapshot(n, who, kind, out);
    }

    private void iface(Node n, String who, Interface i, Map<String, Pos> ids, Map<String, String> ifaceOwner,
            List<RSpecException> out) {
        if (i.clientId() == null || i.clientId().isBlank()) {
            out.add(RSpecException.at(i.pos(), who + ": interface has no client_id"));
            return;
        }
        String iwho = who + ": interface '" + i.clientId() + "'";
        unique(i.clientId(), i.pos(), iwho, ids, out);
        ifaceOwner.putIfAbsent(i.clientId(), n.clientId());
        for (Ip ip : i.ips()) {
            String a = ip.address() == null ? "" : ip.address().trim();
            boolean v4 = IpAddresses.isIpv4(a);
            boolean v6 = !v4 && IpAddresses.isIpv6(a);
            if (!v4 && !v6) {
                out.add(RSpecException.at(ip.pos(), iwho + ": ip address '" + (ip.address() == null ? "" : ip.address())
                        + "' is not an IPv4 or IPv6 address"));
                continue;
            }
            if (ip.netmask() != null && !IpAddresses.isNetmask(ip.netmask().trim(), v4 ? 32 : 128)) {
                out.add(RSpecException.at(ip.pos(), iwho + ": netmask '" + ip.netmask() + "' is not a valid "
                        + (v4 ? "IPv4 netmask (contiguous, like 255.255.255.0, or a prefix length 0-32)"
                                : "IPv6 prefix length (0-128)")));
            }
            if (ip.type() != null) {
                String t = ip.type().trim().toLowerCase(Locale.ROOT);
                if (!t.equals("ipv4") && !t.equals("ipv6")) {
                    out.add(RSpecException.at(ip.pos(), iwho + ": ip type '" + ip.type() + "' is not ipv4 or ipv6"));
                } else if (t.equals("ipv4") != v4) {
                    out.add(RSpecException.at(ip.pos(), iwho + ": ip address '" + ip.address() + "' is not of type '"
                            + ip.type() + "'"));
                }
            }
        }
    }

    private void snapshot(Node n, String who, Optional<SliverKind> kind, List<RSpecException> out) {
        SnapshotSettings s;
        try {
            Optional<SnapshotSettings> o = SnapshotSettings.read(n);
            if (o.isEmpty()) {
                return;
            }
            s = o.get();
        } catch (RSpecException e) {
            out.add(e);
            return;
        }
        if (!s.enabled() || kind.isEmpty()) {
            return;
        }
        Set<SnapshotMode> modes = profile.modesFor(kind.get());
        if (!modes.contains(s.mode())) {
            out.add(RSpecException.at(s.pos(), who + ": snapshot mode '" + s.mode().wire() + "' is not available for "
                    + kind.get().wire() + " slivers here (available: " + modes.stream().sorted()
                            .map(SnapshotMode::wire).collect(Collectors.joining(", ")) + ")"));
        }
        if (s.includeDisk() && !profile.diskSnapshots()) {
            out.add(RSpecException.at(s.pos(), who + ": this aggregate cannot include disks in snapshots;"
                    + " set include_disk='false'"));
        }
        if (s.retain() != null && s.retain() > profile.maxRetain()) {
            out.add(RSpecException.at(s.pos(), who + ": snapshot retain '" + s.retain()
                    + "' exceeds this aggregate's limit of " + profile.maxRetain()));
        }
    }

    private void link(Link l, Map<String, Pos> ids, Map<String, String> ifaceOwner, List<RSpecException> out) {
        String who = l.clientId() == null ? "link" : "link '" + l.clientId() + "'";
        if (l.clientId() == null || l.clientId().isBlank()) {
            out.add(RSpecException.at(l.pos(), "link has no client_id"));
        } else {
            unique(l.clientId(), l.pos(), who, ids, out);
        }
        Set<String> ends = new HashSet<>();
        List<InterfaceRef> refs = l.interfaceRefs();
        for (InterfaceRef r : refs) {
            if (r.clientId() == null) {
                out.add(RSpecException.at(r.pos(), who + ": interface_ref has no client_id"));
                continue;
            }
            if (!ifaceOwner.containsKey(r.clientId())) {
                out.add(RSpecException.at(r.pos(), who + ": interface_ref '" + r.clientId()
                        + "' names no interface in this request"));
            }
            if (!ends.add(r.clientId())) {
                out.add(RSpecException.at(r.pos(), who + ": interface '" + r.clientId() + "' is listed twice"));
            }
        }
        if (refs.size() < 2) {
            out.add(RSpecException.at(l.pos(), who + ": a link needs at least two interfaces, this one has "
                    + refs.size()));
        }
        for (LinkProperty p : l.properties()) {
            for (String end : new String[] {p.sourceId(), p.destId()}) {
                if (end == null || !ends.contains(end)) {
                    out.add(RSpecException.at(p.pos(), who + ": property end '" + end
                            + "' is not an interface of this link"));
                }
            }
            number(p.capacity(), "capacity", who, p.pos(), false, out);
            number(p.latency(), "latency", who, p.pos(), false, out);
            number(p.packetLoss(), "packet_loss", who, p.pos(), true, out);
        }
    }

    private boolean ours(String cm) {
        return amUrn == null || cm == null || cm.isBlank() || GeniUrn.same(cm, amUrn) || cm.equals(amUrn);
    }

    private static void number(String v, String what, String who, Pos pos, boolean fraction,
            List<RSpecException> out) {
        if (v == null) {
            return;
        }
        try {
            BigDecimal d = new BigDecimal(v.trim());
            if (d.signum() < 0 || (fraction && d.compareTo(BigDecimal.ONE) > 0)) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            out.add(RSpecException.at(pos, who + ": property " + what + " '" + v + "' is not "
                    + (fraction ? "a fraction between 0 and 1" : "a non-negative number")));
        }
    }

    private static void unique(String id, Pos pos, String who, Map<String, Pos> ids, List<RSpecException> out) {
        Pos first = ids.putIfAbsent(id, pos);
        if (first != null) {
            out.add(RSpecException.at(pos, who + ": client_id '" + id + "' is already used"
                    + (first.known() ? " on line " + first.line() : " earlier in this request")));
        }
    }

    private String offered() {
        StringBuilder b = new StringBuilder();
        for (SliverKind k : SliverKind.values()) {
            if (profile.offers(k)) {
                b.append(b.length() == 0 ? "" : ", ").append(k.wire());
            }
        }
        if (profile.offers(SliverKind.XEN_VM)) {
            b.append(" (emulab-xen is read as xen-vm)");
        }
        return b.toString();
    }
}
