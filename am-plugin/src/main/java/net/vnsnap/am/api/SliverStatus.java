package net.vnsnap.am.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The per-sliver struct of AM API v3 answers; {@code extra} carries additional fields such as
 * {@code geni_resource_status} or vnsnap's snapshot progress.
 */
public record SliverStatus(String urn, Instant expires, String allocationStatus, String operationalStatus, String error,
        Map<String, Object> extra) {

    public SliverStatus {
        error = error == null ? "" : error;
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("geni_sliver_urn", urn);
        m.put("geni_expires", Wire.formatTime(expires));
        m.put("geni_allocation_status", allocationStatus);
        m.put("geni_operational_status", operationalStatus);
        m.put("geni_error", error);
        m.putAll(extra);
        return m;
    }
}
