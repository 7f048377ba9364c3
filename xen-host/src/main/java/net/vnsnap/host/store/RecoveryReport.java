package net.vnsnap.host.store;

import java.util.List;

/**
 * What opening the store found: incomplete snapshots it deleted and corrupt ones it moved to quarantine.
 *
 * @param removedIncomplete staging directories of snapshots that never committed
 * @param quarantined       directories whose manifest failed its self-check, with the reason
 */
public record RecoveryReport(List<String> removedIncomplete, List<String> quarantined) {
    public RecoveryReport {
        removedIncomplete = List.copyOf(removedIncomplete);
        quarantined = List.copyOf(quarantined);
    }
}
