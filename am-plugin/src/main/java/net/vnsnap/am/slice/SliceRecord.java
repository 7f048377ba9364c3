package net.vnsnap.am.slice;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the AM keeps of a slice: its request and manifest RSpecs and its slivers.
 *
 * @param urn        the slice URN
 * @param owner      the URN of the user who allocated it
 * @param request    the request RSpec as received (extensions and all)
 * @param manifest   the current manifest RSpec
 * @param created    when it was allocated here
 * @param slivers    its slivers
 */
public record SliceRecord(String urn, String owner, String request, String manifest, Instant created, List<Sliver> slivers) {
    public SliceRecord {
        Objects.requireNonNull(urn, "urn");
        Objects.requireNonNull(owner, "owner");
        request = request == null ? "" : request;
        manifest = manifest == null ? "" : manifest;
        Objects.requireNonNull(created, "created");
        slivers = List.copyOf(slivers);
    }

    public SliceRecord withSlivers(List<Sliver> s) {
        return new SliceRecord(urn, owner, request, manifest, created, s);
    }

    public SliceRecord withManifest(String m) {
        return new SliceRecord(urn, owner, request, m, created, slivers);
    }
}
