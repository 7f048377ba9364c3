package net.vnsnap.am.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A slice's slivers as Allocate, Provision, Status and Describe report them; {@code rspec} is the manifest, if any. */
public record Slivers(String sliceUrn, String rspec, List<SliverStatus> slivers) {
    public Slivers {
        slivers = List.copyOf(slivers);
    }

    public static List<Object> wireList(List<SliverStatus> slivers) {
        List<Object> out = new ArrayList<>();
        for (SliverStatus s : slivers) {
            out.add(s.toWire());
        }
        return out;
    }

    /** The struct with the given keys present: geni_rspec and/or geni_urn, then geni_slivers. */
    public Map<String, Object> toWire(boolean withRspec, boolean withUrn, boolean compress) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (withRspec) {
            m.put("geni_rspec", compress ? Wire.compress(rspec) : rspec);
        }
        if (withUrn) {
            m.put("geni_urn", sliceUrn);
        }
        m.put("geni_slivers", wireList(slivers));
        return m;
    }
}
