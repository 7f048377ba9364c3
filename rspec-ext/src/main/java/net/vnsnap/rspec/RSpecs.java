package net.vnsnap.rspec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.snapshot.SnapshotNs;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import net.vnsnap.rspec.validate.AggregateProfile;
import net.vnsnap.rspec.validate.RequestChecker;

/** The entry points an aggregate manager needs for an incoming request: parse, check, read snapshot settings. */
public final class RSpecs {

    /** The extension namespaces to list in GetVersion's {@code extensions} for the GENI v3 RSpec versions. */
    public static final List<String> EXTENSIONS = List.of(SnapshotNs.NS, Ns.OPSTATE);

    private RSpecs() {
    }

    /** Parses and checks a request RSpec against what this aggregate offers; any problem is a BADARGS error. */
    public static RSpec parseRequest(byte[] xml, AggregateProfile profile) throws RSpecException {
        RSpec r = new RSpecReader().read(xml);
        new RequestChecker(profile).check(r);
        return r;
    }

    public static RSpec parseRequest(String xml, AggregateProfile profile) throws RSpecException {
        RSpec r = new RSpecReader().read(xml);
        new RequestChecker(profile).check(r);
        return r;
    }

    /**
     * As {@link #parseRequest(byte[], AggregateProfile)}, judging sliver types and snapshot settings only
     * on nodes for this aggregate ({@code amUrn}) or for no aggregate in particular.
     */
    public static RSpec parseRequest(byte[] xml, AggregateProfile profile, String amUrn) throws RSpecException {
        RSpec r = new RSpecReader().read(xml);
        new RequestChecker(profile, amUrn).check(r);
        return r;
    }

    /** Each node's snapshot settings, by client_id in document order (disabled for nodes without the element). */
    public static Map<String, SnapshotSettings> snapshotSettings(RSpec request) throws RSpecException {
        Map<String, SnapshotSettings> out = new LinkedHashMap<>();
        for (Node n : request.nodes()) {
            out.put(n.clientId(), SnapshotSettings.of(n));
        }
        return out;
    }
}
