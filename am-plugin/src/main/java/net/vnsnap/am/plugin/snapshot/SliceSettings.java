package net.vnsnap.am.plugin.snapshot;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotSettings;

/**
 * The snapshot settings of a whole slice, read from its request: which nodes are snapshot-enabled, and the
 * one mode, disk choice, schedule and retention a slice snapshot uses (the enabled nodes must agree on them).
 *
 * @param enabled  the snapshot-enabled nodes' settings by client_id, in request order
 * @param mode     the mode every enabled node asks for (live when none is enabled)
 * @param includeDisk whether the enabled nodes want their disks captured
 * @param schedule the period of automatic snapshots, null for none
 * @param retain   how many complete snapshots to keep
 */
record SliceSettings(Map<String, SnapshotSettings> enabled, SnapshotMode mode, boolean includeDisk, Duration schedule,
        int retain) {

    SliceSettings {
        enabled = Collections.unmodifiableMap(new LinkedHashMap<>(enabled));
    }

    /**
     * Reads the request's snap:snapshot elements. A slice snapshot is taken of every enabled node at once with one
     * mode, so enabled nodes that disagree on mode or include_disk, or that give different schedules or retain
     * counts, are refused with BADARGS naming two nodes that differ.
     */
    static SliceSettings of(RSpec request) throws GeniException {
        Map<String, SnapshotSettings> on = new LinkedHashMap<>();
        for (Node n : request.nodes()) {
            SnapshotSettings s;
            try {
                s = SnapshotSettings.of(n);
            } catch (RSpecException e) {
                throw new GeniException(GeniCode.BADARGS, e.getMessage(), e);
            }
            if (s.enabled()) {
                on.put(n.clientId(), s);
            }
        }
        String first = null;
        SnapshotSettings f = null;
        String scheduledBy = null;
        String retainedBy = null;
        for (Map.Entry<String, SnapshotSettings> e : on.entrySet()) {
            SnapshotSettings s = e.getValue();
            if (f == null) {
                first = e.getKey();
                f = s;
            } else {
                agree(first, e.getKey(), "mode", f.mode().wire(), s.mode().wire());
                agree(first, e.getKey(), "include_disk", f.includeDisk(), s.includeDisk());
            }
            if (s.schedule() != null) {
                if (scheduledBy != null) {
                    agree(scheduledBy, e.getKey(), "schedule", on.get(scheduledBy).schedule(), s.schedule());
                }
                scheduledBy = e.getKey();
            }
            if (s.retain() != null) {
                if (retainedBy != null) {
                    agree(retainedBy, e.getKey(), "retain", on.get(retainedBy).retain(), s.retain());
                }
                retainedBy = e.getKey();
            }
        }
        return new SliceSettings(on, f == null ? SnapshotSettings.DEFAULT_MODE : f.mode(), f == null || f.includeDisk(),
                scheduledBy == null ? null : on.get(scheduledBy).schedule(),
                retainedBy == null ? SnapshotSettings.DEFAULT_RETAIN : on.get(retainedBy).retain());
    }

    private static void agree(String a, String b, String attr, Object va, Object vb) throws GeniException {
        if (!va.equals(vb)) {
            throw new GeniException(GeniCode.BADARGS, "snapshot settings of nodes '" + a + "' and '" + b + "' differ in "
                    + attr + " (" + va + " vs " + vb + "); a slice snapshot captures all snapshot-enabled nodes at once,"
                    + " so their snap:snapshot " + attr + " must be the same");
        }
    }

    boolean isEnabled(String clientId) {
        return enabled.containsKey(clientId);
    }
}
