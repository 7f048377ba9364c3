package net.vnsnap.am.slice;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the AM keeps of a slice: its request and manifest RSpecs, its slivers, and small named facts.
 *
 * @param urn        the slice URN
 * @param owner      the URN of the user who allocated it
 * @param request    the request RSpec as received (extensions and all)
 * @param manifest   the current manifest RSpec
 * @param created    when it was allocated here
 * @param slivers    its slivers
 * @param attributes facts the AM needs across restarts that have no column of their own (each link's
 *                   VNI, the slice's users, whether it was shut down), stored with the slice in one
 *                   transaction; keys are sorted so equal records compare equal
 */
public record SliceRecord(String urn, String owner, String request, String manifest, Instant created, List<Sliver> slivers,
        Map<String, String> attributes) {

    public SliceRecord {
        Objects.requireNonNull(urn, "urn");
        Objects.requireNonNull(owner, "owner");
        request = request == null ? "" : request;
        manifest = manifest == null ? "" : manifest;
        Objects.requireNonNull(created, "created");
        slivers = List.copyOf(slivers);
        attributes = attributes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
    }

    public SliceRecord(String urn, String owner, String request, String manifest, Instant created, List<Sliver> slivers) {
        this(urn, owner, request, manifest, created, slivers, Map.of());
    }

    public SliceRecord withSlivers(List<Sliver> s) {
        return new SliceRecord(urn, owner, request, manifest, created, s, attributes);
    }

    public SliceRecord withManifest(String m) {
        return new SliceRecord(urn, owner, request, m, created, slivers, attributes);
    }

    /** A copy with one attribute set, or removed when {@code value} is null. */
    public SliceRecord withAttribute(String key, String value) {
        Map<String, String> a = new LinkedHashMap<>(attributes);
        if (value == null) {
            a.remove(key);
        } else {
            a.put(key, value);
        }
        return new SliceRecord(urn, owner, request, manifest, created, slivers, a);
    }
}
