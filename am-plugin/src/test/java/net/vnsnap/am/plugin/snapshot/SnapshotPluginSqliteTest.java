package net.vnsnap.am.plugin.snapshot;

import java.nio.file.Path;

/** The plugin cases over the SQLite catalog. */
class SnapshotPluginSqliteTest extends SnapshotPluginCases {
    @Override
    Path sqliteDir(Path tempDir) {
        return tempDir;
    }
}
