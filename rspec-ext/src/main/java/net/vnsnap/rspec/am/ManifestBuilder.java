package net.vnsnap.rspec.am;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.ComponentManager;
import net.vnsnap.rspec.model.Host;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.InterfaceRef;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecPart;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.Services;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotNs;
import net.vnsnap.rspec.snapshot.SnapshotSettings;

/**
 * Builds a manifest from a request: a copy keeping every extension, with the aggregate's assignments
 * (sliver ids, component ids, logins, MACs, VLAN tags), each node's snapshot settings in force and the
 * slice's snapshot list.
 */
public final class ManifestBuilder {

    /**
     * The tag written when a link has none. The PG v2 manifest schema requires {@code vlantag} on every
     * link, so we always write one; our links are untagged host bridges, and 0 is 802.1Q's "no VLAN".
     */
    public static final String UNTAGGED = "0";

    private final RSpec request;
    /** Our URN: nodes naming another component manager are copied untouched (multi-aggregate requests). */
    private final String amUrn;
    private final Map<String, NodeGrant> nodes = new HashMap<>();
    private final Map<String, LinkGrant> links = new HashMap<>();
    private SliceSnapshots snapshots;
    private Instant generated = Instant.now();
    private Instant expires;

    private ManifestBuilder(RSpec request, String amUrn) {
        this.request = request;
        this.amUrn = amUrn;
    }

    public static ManifestBuilder from(RSpec request, String amUrn) {
        return new ManifestBuilder(request, amUrn);
    }

    public ManifestBuilder node(String clientId, NodeGrant g) {
        nodes.put(clientId, g);
        return this;
    }

    public ManifestBuilder link(String clientId, LinkGrant g) {
        links.put(clientId, g);
        return this;
    }

    public ManifestBuilder snapshots(SliceSnapshots s) {
        snapshots = s;
        return this;
    }

    public ManifestBuilder generated(Instant t) {
        generated = t;
        return this;
    }

    public ManifestBuilder expires(Instant t) {
        expires = t;
        return this;
    }

    /** The manifest; throws when a node's snapshot element is invalid (the request checker reports it first). */
    public RSpec build() throws RSpecException {
        RSpec.Builder b = request.toBuilder().type(RSpecType.MANIFEST).generated(AdvertisementBuilder.time(generated))
                .generatedBy("vnsnap").expires(AdvertisementBuilder.time(expires));
        b.declare(SnapshotNs.PREFIX, SnapshotNs.NS);
        SchemaLocations.apply(b, RSpecType.MANIFEST, SnapshotNs.NS, SnapshotNs.SCHEMA_LOCATION);
        Map<String, String> ifaceSlivers = new HashMap<>();
        List<RSpecPart> parts = b.parts();
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) instanceof Node n && ours(n.componentManagerId())) {
                parts.set(i, node(n, ifaceSlivers));
            }
        }
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) instanceof Link l) {
                parts.set(i, link(l, ifaceSlivers));
            }
        }
        RSpec m = b.build();
        return snapshots == null ? m : snapshots.applyTo(m);
    }

    private boolean ours(String cm) {
        return cm == null || cm.isBlank() || cm.equals(amUrn) || GeniUrn.same(cm, amUrn);
    }

    private Node node(Node n, Map<String, String> ifaceSlivers) throws RSpecException {
        NodeGrant g = nodes.get(n.clientId());
        SnapshotSettings inForce = g != null && g.snapshot() != null ? g.snapshot().inForce()
                : SnapshotSettings.of(n).inForce();
        Node.Builder nb = n.toBuilder().componentManagerId(amUrn);
        if (g != null) {
            nb.sliverId(g.sliverId()).componentId(g.componentId() != null ? g.componentId() : n.componentId());
            boolean[] loginsPlaced = {g.logins().isEmpty()};
            nb.mapParts(p -> {
                if (p instanceof Interface i) {
                    InterfaceGrant ig = g.interfaces().get(i.clientId());
                    Interface out = ig == null ? i : i.provisioned(ig.sliverId(), ig.macAddress(), ig.ip());
                    if (out.sliverId() != null) {
                        ifaceSlivers.put(out.clientId(), out.sliverId());
                    }
                    return out;
                }
                if (p instanceof Services s && !loginsPlaced[0]) {
                    loginsPlaced[0] = true;
                    return s.withLogins(g.logins());
                }
                if (p instanceof Host && g.hostname() != null) {
                    return null;
                }
                return p;
            });
            if (!loginsPlaced[0]) {
                nb.part(new Services(List.of(), List.copyOf(g.logins()), null));
            }
            if (g.hostname() != null) {
                nb.part(Host.of(g.hostname()));
            }
        }
        nb.replaceExtension(SnapshotNs.NS, SnapshotNs.SNAPSHOT, inForce.toElement());
        return nb.build();
    }

    private Link link(Link l, Map<String, String> ifaceSlivers) {
        LinkGrant g = links.get(l.clientId());
        String tag = g != null && g.vlantag() != null ? g.vlantag() : l.vlantag() != null ? l.vlantag() : UNTAGGED;
        Link out = l.provisioned(g == null ? null : g.sliverId(), tag, p -> {
            if (p instanceof InterfaceRef r && r.sliverId() == null && ifaceSlivers.containsKey(r.clientId())) {
                return r.withSliverId(ifaceSlivers.get(r.clientId()));
            }
            return p;
        });
        if (out.componentManagers().isEmpty()) {
            out = out.withPart(ComponentManager.of(amUrn));
        }
        return out;
    }

}
