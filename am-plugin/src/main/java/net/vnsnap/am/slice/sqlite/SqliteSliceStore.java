package net.vnsnap.am.slice.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.vnsnap.am.slice.AllocationState;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.SliceStore;
import net.vnsnap.am.slice.Sliver;

/**
 * The slice store in an SQLite file (WAL journal, full sync): each put is one transaction, so a crash
 * leaves every slice as it was after its last completed change.
 */
public final class SqliteSliceStore implements SliceStore {

    /** Bumped when the tables change; a file with a newer version is refused rather than misread. */
    private static final int SCHEMA_VERSION = 2;

    /** SQLite allows one writer; all access is serialized on this connection's monitor. */
    private final Connection db;

    private SqliteSliceStore(Connection db) {
        this.db = db;
    }

    /** Opens (creating if needed) the database file. */
    public static SqliteSliceStore open(Path file) throws StoreFailure {
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS slice_schema (version INTEGER NOT NULL)");
                try (ResultSet r = s.executeQuery("SELECT version FROM slice_schema")) {
                    if (r.next()) {
                        int v = r.getInt(1);
                        if (v > SCHEMA_VERSION) {
                            c.close();
                            throw new StoreFailure(file + " was written by a newer vnsnap (slice schema " + v + ")", null);
                        }
                    } else {
                        s.execute("INSERT INTO slice_schema(version) VALUES (" + SCHEMA_VERSION + ")");
                    }
                }
                s.execute("CREATE TABLE IF NOT EXISTS slices (urn TEXT PRIMARY KEY, owner TEXT NOT NULL,"
                        + " request TEXT NOT NULL, manifest TEXT NOT NULL, created TEXT NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS slivers (urn TEXT PRIMARY KEY,"
                        + " slice TEXT NOT NULL REFERENCES slices(urn) ON DELETE CASCADE, position INTEGER NOT NULL,"
                        + " client_id TEXT NOT NULL, host TEXT NOT NULL, vm TEXT NOT NULL, allocation TEXT NOT NULL,"
                        + " operational TEXT NOT NULL, expires TEXT NOT NULL, error TEXT NOT NULL)");
                // Version 2 added the slice attributes; a version-1 file simply gains the empty table.
                s.execute("CREATE TABLE IF NOT EXISTS slice_attrs (slice TEXT NOT NULL REFERENCES slices(urn) ON DELETE CASCADE,"
                        + " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (slice, name))");
                s.execute("UPDATE slice_schema SET version = " + SCHEMA_VERSION + " WHERE version < " + SCHEMA_VERSION);
            }
            return new SqliteSliceStore(c);
        } catch (SQLException e) {
            throw new StoreFailure("cannot open the slice database " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<SliceRecord> get(String sliceUrn) throws StoreFailure {
        try (PreparedStatement p = db.prepareStatement("SELECT urn, owner, request, manifest, created FROM slices WHERE urn = ?")) {
            p.setString(1, sliceUrn);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreFailure("cannot read slice " + sliceUrn + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<SliceRecord> all() throws StoreFailure {
        List<SliceRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT urn, owner, request, manifest, created FROM slices ORDER BY created")) {
            while (r.next()) {
                out.add(read(r));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreFailure("cannot list slices: " + e.getMessage(), e);
        }
    }

    private SliceRecord read(ResultSet r) throws SQLException {
        String urn = r.getString(1);
        List<Sliver> slivers = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT urn, client_id, host, vm, allocation, operational, expires, error"
                + " FROM slivers WHERE slice = ? ORDER BY position")) {
            p.setString(1, urn);
            try (ResultSet s = p.executeQuery()) {
                while (s.next()) {
                    slivers.add(new Sliver(s.getString(1), urn, s.getString(2), s.getString(3), s.getString(4),
                            AllocationState.valueOf(s.getString(5)), OperationalState.valueOf(s.getString(6)),
                            Instant.parse(s.getString(7)), s.getString(8)));
                }
            }
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        try (PreparedStatement p = db.prepareStatement("SELECT name, value FROM slice_attrs WHERE slice = ?")) {
            p.setString(1, urn);
            try (ResultSet s = p.executeQuery()) {
                while (s.next()) {
                    attrs.put(s.getString(1), s.getString(2));
                }
            }
        }
        return new SliceRecord(urn, r.getString(2), r.getString(3), r.getString(4), Instant.parse(r.getString(5)), slivers,
                attrs);
    }

    @Override
    public synchronized void put(SliceRecord slice) throws StoreFailure {
        try {
            db.setAutoCommit(false);
            try (PreparedStatement up = db.prepareStatement("INSERT INTO slices(urn, owner, request, manifest, created)"
                    + " VALUES (?, ?, ?, ?, ?) ON CONFLICT(urn) DO UPDATE SET owner = excluded.owner,"
                    + " request = excluded.request, manifest = excluded.manifest");
                 PreparedStatement del = db.prepareStatement("DELETE FROM slivers WHERE slice = ?");
                 PreparedStatement delAttrs = db.prepareStatement("DELETE FROM slice_attrs WHERE slice = ?");
                 PreparedStatement insAttr = db.prepareStatement("INSERT INTO slice_attrs(slice, name, value) VALUES (?, ?, ?)");
                 PreparedStatement ins = db.prepareStatement("INSERT INTO slivers(urn, slice, position, client_id, host, vm,"
                         + " allocation, operational, expires, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                up.setString(1, slice.urn());
                up.setString(2, slice.owner());
                up.setString(3, slice.request());
                up.setString(4, slice.manifest());
                up.setString(5, slice.created().toString());
                up.executeUpdate();
                del.setString(1, slice.urn());
                del.executeUpdate();
                int i = 0;
                for (Sliver s : slice.slivers()) {
                    ins.setString(1, s.urn());
                    ins.setString(2, slice.urn());
                    ins.setInt(3, i++);
                    ins.setString(4, s.clientId());
                    ins.setString(5, s.host());
                    ins.setString(6, s.vmName());
                    ins.setString(7, s.allocation().name());
                    ins.setString(8, s.operational().name());
                    ins.setString(9, s.expires().toString());
                    ins.setString(10, s.error());
                    ins.addBatch();
                }
                ins.executeBatch();
                delAttrs.setString(1, slice.urn());
                delAttrs.executeUpdate();
                for (Map.Entry<String, String> a : slice.attributes().entrySet()) {
                    insAttr.setString(1, slice.urn());
                    insAttr.setString(2, a.getKey());
                    insAttr.setString(3, a.getValue());
                    insAttr.addBatch();
                }
                insAttr.executeBatch();
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreFailure("cannot store slice " + slice.urn() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String sliceUrn) throws StoreFailure {
        try (PreparedStatement p = db.prepareStatement("DELETE FROM slices WHERE urn = ?")) {
            p.setString(1, sliceUrn);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new StoreFailure("cannot delete slice " + sliceUrn + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // Closing a read-only or already closed connection: nothing to save.
        }
    }
}
