package net.vnsnap.host.api;

import java.util.List;

/**
 * A host's vote in phase one.
 *
 * @param ready          true when every VM can be snapshotted as planned
 * @param requiredBytes  the store space the snapshot needs on this host (memory plus disk estimate)
 * @param freeBytes      the store's free space
 * @param problems       why not, one line per VM or resource, empty when ready
 */
public record PrepareResult(boolean ready, long requiredBytes, long freeBytes, List<String> problems) {
    public PrepareResult {
        problems = List.copyOf(problems);
    }
}
