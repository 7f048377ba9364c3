package net.vnsnap.am.catalog.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.SnapshotCatalogContract;
import net.vnsnap.am.catalog.StateChange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the catalog contract against SQLite, plus what only a file can show: reopening, pragmas, schema versions. */
class SqliteSnapshotCatalogTest extends SnapshotCatalogContract {

    @TempDir
    Path dir;
    private int files;

    @Override
    protected SnapshotCatalog newCatalog() throws CatalogException {
        return SqliteSnapshotCatalog.open(dir.resolve("catalog-" + (files++) + ".db"));
    }

    @Test
    void reopeningTheFileFindsEverything() throws Exception {
        SliceSnapshotRecord done = completed("s1");
        SliceSnapshotRecord open = catalog.create(sample("s2", "urn:slice", 5));
        open = catalog.update(open.withState(SliceSnapshotState.TAKING, T0));
        catalog.nextEpoch("urn:slice", 6);
        List<StateChange> history = catalog.history("s1");
        Path file = ((SqliteSnapshotCatalog) catalog).file();
        catalog.close();

        catalog = SqliteSnapshotCatalog.open(file);
        assertEquals(done, catalog.get("s1").orElseThrow());
        assertEquals(open, catalog.get("s2").orElseThrow());
        assertEquals(history, catalog.history("s1"));
        assertEquals(7, catalog.lastEpoch("urn:slice"));
        assertEquals(List.of("s2"), catalog.unfinished().stream().map(SliceSnapshotRecord::id).toList());
    }

    @Test
    void fileIsInWalModeWithFullSyncAndSchemaVersionOne() throws Exception {
        SqliteSnapshotCatalog c = (SqliteSnapshotCatalog) catalog;
        assertEquals("wal", c.pragma("journal_mode"));
        assertEquals("2", c.pragma("synchronous")); // 2 = FULL
        assertEquals("1", c.pragma("foreign_keys"));
        assertEquals(SqliteSnapshotCatalog.SCHEMA_VERSION, c.schemaVersion());
    }

    @Test
    void fileFromANewerSchemaIsRefused() throws Exception {
        Path file = ((SqliteSnapshotCatalog) catalog).file();
        catalog.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')");
        }
        CatalogException e = assertThrows(CatalogException.class, () -> SqliteSnapshotCatalog.open(file));
        assertEquals(CatalogException.Reason.SCHEMA_TOO_NEW, e.reason());
        catalog = newCatalog();
    }
}
