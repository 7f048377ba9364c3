package net.vnsnap.am.snapshot;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import net.vnsnap.host.driver.SnapshotMode;

/**
 * What the AM asks for when it snapshots a slice.
 *
 * @param slice       the slice URN
 * @param mode        how memory is captured on every host
 * @param includeDisk whether disk state is taken at the cut
 * @param label       the experimenter's label, may be empty
 * @param vmsByHost   the slice's VMs, by the host id that runs them (iteration order is kept)
 */
public record SliceSnapshotRequest(String slice, SnapshotMode mode, boolean includeDisk, String label,
        Map<String, List<String>> vmsByHost) {

    public SliceSnapshotRequest {
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(mode, "mode");
        label = label == null ? "" : label;
        Map<String, List<String>> copy = new LinkedHashMap<>();
        vmsByHost.forEach((h, v) -> copy.put(h, List.copyOf(v)));
        vmsByHost = Collections.unmodifiableMap(copy);
    }

    /** Why this request cannot be taken, or null when it can. */
    String problem() {
        if (slice.isBlank()) {
            return "the slice is empty";
        }
        if (vmsByHost.isEmpty()) {
            return "slice " + slice + " has no VMs to snapshot";
        }
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, List<String>> e : vmsByHost.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank()) {
                return "a host id is empty";
            }
            if (e.getValue().isEmpty()) {
                return "host " + e.getKey() + " is listed without VMs";
            }
            for (String vm : e.getValue()) {
                if (!seen.add(vm)) {
                    return "VM " + vm + " is listed twice";
                }
            }
        }
        return null;
    }
}
