package net.vnsnap.am.plugin.snapshot;

import java.nio.file.Path;

/** The plugin cases over the in-memory catalog. */
class SnapshotPluginInMemoryTest extends SnapshotPluginCases {
    @Override
    Path sqliteDir(Path tempDir) {
        return null;
    }
}
