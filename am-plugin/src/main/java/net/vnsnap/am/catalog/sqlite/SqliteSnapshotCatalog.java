package net.vnsnap.am.catalog.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import net.vnsnap.am.catalog.CatalogChecks;
import net.vnsnap.am.catalog.CatalogException;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.catalog.StateChange;
import net.vnsnap.am.catalog.VmEntry;
import net.vnsnap.host.driver.SnapshotMode;

/** A snapshot catalog in one SQLite file (WAL, synchronous=FULL) where each call is one transaction over record, VMs and history. */
public final class SqliteSnapshotCatalog implements SnapshotCatalog {

    /** The schema this code writes; a file with a higher version is refused rather than misread. */
    public static final int SCHEMA_VERSION = 1;
    static final int BUSY_TIMEOUT_MS = 5_000;

    private static final String[] SCHEMA_V1 = {
        "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)",
        "CREATE TABLE slice_epoch (slice TEXT NOT NULL PRIMARY KEY, last_epoch INTEGER NOT NULL)",
        """
        CREATE TABLE snapshot (
          seq             INTEGER PRIMARY KEY AUTOINCREMENT,
          id              TEXT    NOT NULL UNIQUE,
          slice           TEXT    NOT NULL,
          label           TEXT    NOT NULL,
          epoch           INTEGER NOT NULL,
          mode            TEXT    NOT NULL,
          include_disk    INTEGER NOT NULL,
          state           TEXT    NOT NULL,
          failure         TEXT    NOT NULL,
          created_at      TEXT    NOT NULL,
          state_since     TEXT    NOT NULL,
          finished_at     TEXT,
          cut_skew_nanos  INTEGER,
          frames_held     INTEGER NOT NULL,
          frames_recorded INTEGER NOT NULL,
          frames_dropped  INTEGER NOT NULL,
          total_bytes     INTEGER NOT NULL,
          version         INTEGER NOT NULL)""",
        "CREATE INDEX snapshot_by_slice ON snapshot (slice, seq)",
        "CREATE INDEX snapshot_by_state ON snapshot (state)",
        """
        CREATE TABLE snapshot_vm (
          snapshot_id    TEXT    NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
          ord            INTEGER NOT NULL,
          vm             TEXT    NOT NULL,
          host           TEXT    NOT NULL,
          cut_at         TEXT,
          downtime_nanos INTEGER,
          memory_bytes   INTEGER NOT NULL,
          disk_bytes     INTEGER NOT NULL,
          PRIMARY KEY (snapshot_id, vm))""",
        """
        CREATE TABLE snapshot_history (
          snapshot_id TEXT    NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
          seq         INTEGER NOT NULL,
          state       TEXT    NOT NULL,
          at          TEXT    NOT NULL,
          reason      TEXT    NOT NULL,
          PRIMARY KEY (snapshot_id, seq))""",
    };

    private static final String COLUMNS = "id, slice, label, epoch, mode, include_disk, state, failure, created_at, "
            + "state_since, finished_at, cut_skew_nanos, frames_held, frames_recorded, frames_dropped, total_bytes, version";

    /**
     * Serialises all threads on the one connection: the coordinator writes a few rows per state change, far
     * below what one SQLite writer sustains, and a single writer never meets SQLITE_BUSY from itself (another
     * process on the same file waits up to {@link #BUSY_TIMEOUT_MS}).
     */
    private final Object lock = new Object();
    private final Path file;
    /** Null once closed. @GuardedBy("lock") */
    private Connection conn;

    private SqliteSnapshotCatalog(Path file, Connection conn) {
        this.file = file;
        this.conn = conn;
    }

    /** Opens (creating when absent) the catalog in {@code file}, applying any schema steps it lacks. */
    public static SqliteSnapshotCatalog open(Path file) throws CatalogException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Properties p = new Properties();
            p.setProperty("foreign_keys", "true");
            p.setProperty("busy_timeout", Integer.toString(BUSY_TIMEOUT_MS));
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), p);
            try {
                try (Statement s = c.createStatement()) {
                    try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
                        String mode = rs.next() ? rs.getString(1) : "";
                        if (!"wal".equalsIgnoreCase(mode)) {
                            throw new CatalogException(CatalogException.Reason.STORAGE,
                                    file + ": SQLite refused WAL journal mode (got '" + mode + "')");
                        }
                    }
                    s.execute("PRAGMA synchronous=FULL");
                    s.execute("PRAGMA foreign_keys=ON");
                }
                c.setAutoCommit(false);
                migrate(c, file);
                return new SqliteSnapshotCatalog(file, c);
            } catch (CatalogException | SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        } catch (SQLException | java.io.IOException e) {
            throw new CatalogException(CatalogException.Reason.STORAGE, file + ": cannot open the snapshot catalog: " + e.getMessage(), e);
        }
    }

    private static void migrate(Connection c, Path file) throws SQLException, CatalogException {
        int have;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'")) {
            have = rs.next() ? -1 : 0;
        }
        if (have == -1) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                have = rs.next() ? rs.getInt(1) : 0;
            }
        }
        if (have > SCHEMA_VERSION) {
            c.rollback();
            throw new CatalogException(CatalogException.Reason.SCHEMA_TOO_NEW, file + " has catalog schema version " + have
                    + "; this AM knows up to " + SCHEMA_VERSION);
        }
        // One entry per schema step; later versions append their statements and a step here.
        if (have < 1) {
            try (Statement s = c.createStatement()) {
                for (String sql : SCHEMA_V1) {
                    s.execute(sql);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")) {
                ps.setInt(1, 1);
                ps.setString(2, Instant.now().toString());
                ps.executeUpdate();
            }
        }
        c.commit();
    }

    /** The file this catalog lives in. */
    public Path file() {
        return file;
    }

    /** The schema version stored in the file. */
    public int schemaVersion() throws CatalogException {
        return inTransaction(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    /** A PRAGMA's current value, for tests and diagnostics. */
    public String pragma(String name) throws CatalogException {
        if (!name.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a pragma name: " + name);
        }
        return inTransaction(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
                return rs.next() ? rs.getString(1) : "";
            }
        });
    }

    @Override
    public int nextEpoch(String slice, int floor) throws CatalogException {
        return inTransaction(c -> {
            int next = Math.max(lastEpoch(c, slice), floor) + 1;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO slice_epoch (slice, last_epoch) VALUES (?, ?) "
                    + "ON CONFLICT (slice) DO UPDATE SET last_epoch = excluded.last_epoch")) {
                ps.setString(1, slice);
                ps.setInt(2, next);
                ps.executeUpdate();
            }
            return next;
        });
    }

    @Override
    public int lastEpoch(String slice) throws CatalogException {
        return inTransaction(c -> lastEpoch(c, slice));
    }

    private static int lastEpoch(Connection c, String slice) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT last_epoch FROM slice_epoch WHERE slice = ?")) {
            ps.setString(1, slice);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    @Override
    public SliceSnapshotRecord create(SliceSnapshotRecord record) throws CatalogException {
        SliceSnapshotRecord stored = record.withVersion(1);
        return inTransaction(c -> {
            if (find(c, record.id()).isPresent()) {
                throw new CatalogException(CatalogException.Reason.ALREADY_EXISTS, "snapshot '" + record.id() + "' already exists");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshot (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                bindRow(ps, stored);
                ps.executeUpdate();
            }
            writeVms(c, stored);
            appendHistory(c, stored, 1);
            return stored;
        });
    }

    @Override
    public Optional<SliceSnapshotRecord> get(String snapshotId) throws CatalogException {
        return inTransaction(c -> find(c, snapshotId));
    }

    @Override
    public List<SliceSnapshotRecord> list(String slice) throws CatalogException {
        return inTransaction(c -> query(c, "SELECT " + COLUMNS + " FROM snapshot WHERE slice = ? ORDER BY seq", slice));
    }

    @Override
    public List<SliceSnapshotRecord> unfinished() throws CatalogException {
        return inTransaction(c -> query(c, "SELECT " + COLUMNS + " FROM snapshot WHERE state IN ('PREPARING', 'TAKING', 'COMMITTING') ORDER BY seq"));
    }

    @Override
    public SliceSnapshotRecord update(SliceSnapshotRecord next) throws CatalogException {
        return inTransaction(c -> {
            SliceSnapshotRecord cur = find(c, next.id()).orElse(null);
            CatalogChecks.checkUpdate(cur, next);
            SliceSnapshotRecord stored = next.withVersion(cur.version() + 1);
            try (PreparedStatement ps = c.prepareStatement("UPDATE snapshot SET label = ?, include_disk = ?, state = ?, failure = ?, "
                    + "state_since = ?, finished_at = ?, cut_skew_nanos = ?, frames_held = ?, frames_recorded = ?, "
                    + "frames_dropped = ?, total_bytes = ?, version = ? WHERE id = ? AND version = ?")) {
                int i = 1;
                ps.setString(i++, stored.label());
                ps.setInt(i++, stored.includeDisk() ? 1 : 0);
                ps.setString(i++, stored.state().name());
                ps.setString(i++, stored.failure());
                ps.setString(i++, stored.stateSince().toString());
                setInstant(ps, i++, stored.finishedAt());
                setDuration(ps, i++, stored.cutSkew());
                ps.setLong(i++, stored.framesHeld());
                ps.setLong(i++, stored.framesRecorded());
                ps.setLong(i++, stored.framesDropped());
                ps.setLong(i++, stored.totalBytes());
                ps.setLong(i++, stored.version());
                ps.setString(i++, stored.id());
                ps.setLong(i, cur.version());
                if (ps.executeUpdate() != 1) {
                    throw new CatalogException(CatalogException.Reason.VERSION_CONFLICT, "snapshot '" + next.id() + "' changed meanwhile");
                }
            }
            if (!cur.vms().equals(stored.vms())) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshot_vm WHERE snapshot_id = ?")) {
                    ps.setString(1, stored.id());
                    ps.executeUpdate();
                }
                writeVms(c, stored);
            }
            if (stored.state() != cur.state()) {
                appendHistory(c, stored, historyLength(c, stored.id()) + 1);
            }
            return stored;
        });
    }

    @Override
    public List<StateChange> history(String snapshotId) throws CatalogException {
        return inTransaction(c -> {
            List<StateChange> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT state, at, reason FROM snapshot_history WHERE snapshot_id = ? ORDER BY seq")) {
                ps.setString(1, snapshotId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StateChange(SliceSnapshotState.valueOf(rs.getString(1)), Instant.parse(rs.getString(2)), rs.getString(3)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void close() throws CatalogException {
        synchronized (lock) {
            if (conn == null) {
                return;
            }
            try {
                conn.close();
            } catch (SQLException e) {
                throw new CatalogException(CatalogException.Reason.STORAGE, file + ": close failed: " + e.getMessage(), e);
            } finally {
                conn = null;
            }
        }
    }

    // ---- plumbing ----

    /** A unit of work inside one transaction. */
    private interface Work<T> {
        T run(Connection c) throws SQLException, CatalogException;
    }

    private <T> T inTransaction(Work<T> work) throws CatalogException {
        synchronized (lock) {
            if (conn == null) {
                throw new CatalogException(CatalogException.Reason.STORAGE, file + ": catalog is closed");
            }
            try {
                T result = work.run(conn);
                conn.commit();
                return result;
            } catch (SQLException e) {
                rollbackQuietly(e);
                throw new CatalogException(CatalogException.Reason.STORAGE, file + ": " + e.getMessage(), e);
            } catch (CatalogException | RuntimeException e) {
                rollbackQuietly(e);
                throw e;
            }
        }
    }

    private void rollbackQuietly(Exception cause) {
        try {
            conn.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    private static Optional<SliceSnapshotRecord> find(Connection c, String id) throws SQLException {
        List<SliceSnapshotRecord> r = query(c, "SELECT " + COLUMNS + " FROM snapshot WHERE id = ?", id);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    private static List<SliceSnapshotRecord> query(Connection c, String sql, String... args) throws SQLException {
        List<SliceSnapshotRecord> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    out.add(new SliceSnapshotRecord(id, rs.getString(2), rs.getString(3), rs.getInt(4),
                            SnapshotMode.valueOf(rs.getString(5)), rs.getInt(6) != 0, SliceSnapshotState.valueOf(rs.getString(7)),
                            rs.getString(8), Instant.parse(rs.getString(9)), Instant.parse(rs.getString(10)), instant(rs, 11),
                            List.of(), duration(rs, 12), rs.getLong(13), rs.getLong(14), rs.getLong(15), rs.getLong(16),
                            rs.getLong(17)));
                }
            }
        }
        List<SliceSnapshotRecord> withVms = new ArrayList<>(out.size());
        for (SliceSnapshotRecord r : out) {
            withVms.add(r.withCuts(readVms(c, r.id()), r.cutSkew()));
        }
        return withVms;
    }

    private static List<VmEntry> readVms(Connection c, String id) throws SQLException {
        List<VmEntry> vms = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT vm, host, cut_at, downtime_nanos, memory_bytes, disk_bytes "
                + "FROM snapshot_vm WHERE snapshot_id = ? ORDER BY ord")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    vms.add(new VmEntry(rs.getString(1), rs.getString(2), instant(rs, 3), duration(rs, 4), rs.getLong(5), rs.getLong(6)));
                }
            }
        }
        return vms;
    }

    private static void bindRow(PreparedStatement ps, SliceSnapshotRecord r) throws SQLException {
        int i = 1;
        ps.setString(i++, r.id());
        ps.setString(i++, r.slice());
        ps.setString(i++, r.label());
        ps.setInt(i++, r.epoch());
        ps.setString(i++, r.mode().name());
        ps.setInt(i++, r.includeDisk() ? 1 : 0);
        ps.setString(i++, r.state().name());
        ps.setString(i++, r.failure());
        ps.setString(i++, r.createdAt().toString());
        ps.setString(i++, r.stateSince().toString());
        setInstant(ps, i++, r.finishedAt());
        setDuration(ps, i++, r.cutSkew());
        ps.setLong(i++, r.framesHeld());
        ps.setLong(i++, r.framesRecorded());
        ps.setLong(i++, r.framesDropped());
        ps.setLong(i++, r.totalBytes());
        ps.setLong(i, r.version());
    }

    private static void writeVms(Connection c, SliceSnapshotRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshot_vm (snapshot_id, ord, vm, host, cut_at, "
                + "downtime_nanos, memory_bytes, disk_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            int ord = 0;
            for (VmEntry v : r.vms()) {
                ps.setString(1, r.id());
                ps.setInt(2, ord++);
                ps.setString(3, v.vm());
                ps.setString(4, v.host());
                setInstant(ps, 5, v.cutAt());
                setDuration(ps, 6, v.downtime());
                ps.setLong(7, v.memoryBytes());
                ps.setLong(8, v.diskBytes());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void appendHistory(Connection c, SliceSnapshotRecord r, int seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshot_history (snapshot_id, seq, state, at, reason) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, r.id());
            ps.setInt(2, seq);
            ps.setString(3, r.state().name());
            ps.setString(4, r.stateSince().toString());
            ps.setString(5, r.failure());
            ps.executeUpdate();
        }
    }

    private static int historyLength(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM snapshot_history WHERE snapshot_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    private static void setInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, t.toString());
        }
    }

    private static void setDuration(PreparedStatement ps, int i, Duration d) throws SQLException {
        if (d == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            ps.setLong(i, d.toNanos());
        }
    }

    private static Instant instant(ResultSet rs, int i) throws SQLException {
        String s = rs.getString(i);
        return s == null ? null : Instant.parse(s);
    }

    private static Duration duration(ResultSet rs, int i) throws SQLException {
        long n = rs.getLong(i);
        return rs.wasNull() ? null : Duration.ofNanos(n);
    }
}
