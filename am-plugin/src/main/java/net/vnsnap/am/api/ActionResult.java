package net.vnsnap.am.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer to PerformOperationalAction: the slivers' new states and, for vnsnap actions, extra fields
 * (e.g. the snapshot id) that turn the plain list into a struct Omni also understands.
 */
public record ActionResult(List<SliverStatus> slivers, Map<String, Object> extra) {
    public ActionResult {
        slivers = List.copyOf(slivers);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public Object toWire() {
        if (extra.isEmpty()) {
            return Slivers.wireList(slivers);
        }
        Map<String, Object> m = new LinkedHashMap<>(extra);
        m.put("geni_slivers", Slivers.wireList(slivers));
        return m;
    }
}
