package net.vnsnap.rspec.am;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.HardwareType;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.Services;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.model.SliverType;
import net.vnsnap.rspec.model.SliverTypePart;
import net.vnsnap.rspec.model.XmlAttr;
import net.vnsnap.rspec.opstate.OpState;
import net.vnsnap.rspec.snapshot.SnapshotNs;

/** Builds the advertisement ListResources returns: hosts, their login service and snapshot capability, and the opstate machine. */
public final class AdvertisementBuilder {

    /** This aggregate's URN, the component_manager_id of every advertised node. */
    private final String amUrn;
    private final List<HostOffer> hosts = new ArrayList<>();
    private Instant generated = Instant.now();
    private Instant expires;
    private OpState opState;

    public AdvertisementBuilder(String amUrn) {
        this.amUrn = amUrn;
    }

    public AdvertisementBuilder generated(Instant t) {
        generated = t;
        return this;
    }

    public AdvertisementBuilder expires(Instant t) {
        expires = t;
        return this;
    }

    public AdvertisementBuilder host(HostOffer h) {
        hosts.add(h);
        return this;
    }

    /** Replaces the default machine ({@link OpState#vnsnap} for the offered sliver kinds). */
    public AdvertisementBuilder opState(OpState s) {
        opState = s;
        return this;
    }

    public RSpec build() {
        RSpec.Builder b = RSpec.builder(RSpecType.ADVERTISEMENT).generated(time(generated)).expires(time(expires));
        b.attr(XmlAttr.nsDecl("", Ns.GENI)).declare("xsi", Ns.XSI).declare(SnapshotNs.PREFIX, SnapshotNs.NS)
                .declare(OpState.PREFIX, Ns.OPSTATE);
        SchemaLocations.apply(b, RSpecType.ADVERTISEMENT, Ns.OPSTATE, Ns.OPSTATE_AD_XSD, SnapshotNs.NS,
                SnapshotNs.SCHEMA_LOCATION);
        Set<String> kinds = new LinkedHashSet<>();
        for (HostOffer h : hosts) {
            b.part(node(h));
            h.sliverKinds().forEach(k -> kinds.add(k.wire()));
        }
        b.part((opState != null ? opState : OpState.vnsnap(amUrn, List.copyOf(kinds))).toElement());
        return b.build();
    }

    private Node node(HostOffer h) {
        // The PG v2 ad schema requires component_id, component_manager_id and exclusive on every node;
        // VMs share a host, so exclusive is false.
        Node.Builder n = Node.builder(null).componentId(h.componentId()).componentManagerId(amUrn)
                .componentName(h.componentName()).exclusive(Boolean.FALSE);
        if (h.hardwareType() != null) {
            n.part(HardwareType.of(h.hardwareType()));
        }
        for (SliverKind k : h.sliverKinds()) {
            List<SliverTypePart> images = new ArrayList<>();
            for (DiskImage d : h.images()) {
                List<XmlAttr> attrs = new ArrayList<>(d.attrs());
                if (d.name().equals(h.defaultImage())) {
                    attrs.add(XmlAttr.plain("default", "true"));
                }
                images.add(new DiskImage(d.name(), d.os(), d.version(), d.description(), attrs, d.ext(), d.pos()));
            }
            n.part(new SliverType(k.wire(), List.of(), images, null));
        }
        if (h.login() != null) {
            n.part(new Services(List.of(), List.of(h.login()), null));
        }
        n.part(AnyElement.builder(Ns.GENI, "", "available").attr("now", h.available()).build());
        if (h.location() != null) {
            n.part(h.location());
        }
        if (h.capability() != null) {
            n.part(h.capability().toElement());
        }
        return n.build();
    }

    static String time(Instant t) {
        return t == null ? null : DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
