package net.vnsnap.am.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import net.vnsnap.am.slice.sqlite.SqliteSliceStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the SQLite store, plus what only a file can show: a restart finds everything. */
class SqliteSliceStoreTest extends SliceStoreContract {

    @TempDir
    Path dir;

    @Override
    protected SliceStore newStore() throws Exception {
        return SqliteSliceStore.open(dir.resolve("am.db"));
    }

    @Test
    void aReopenedStoreFindsEverySlice() throws Exception {
        SliceRecord a = slice("ra", 2);
        SliceRecord b = slice("rb", 3);
        store.put(a);
        store.put(b);
        store.close();
        store = SqliteSliceStore.open(dir.resolve("am.db"));
        assertEquals(a, store.get(a.urn()).orElseThrow());
        assertEquals(b, store.get(b.urn()).orElseThrow());
    }

    @Test
    void aFailedWriteChangesNothing() throws Exception {
        SliceRecord a = slice("fa", 2);
        store.put(a);
        // A second slice that reuses one of a's sliver URNs violates the primary key: the whole put must roll back.
        SliceRecord clash = new SliceRecord("urn:publicid:IDN+vnsnap:t+slice+fb", a.owner(), "", "", a.created(),
                java.util.List.of(a.slivers().get(0)));
        assertThrows(SliceStore.StoreFailure.class, () -> store.put(clash));
        assertTrue(store.get(clash.urn()).isEmpty());
        assertEquals(a, store.get(a.urn()).orElseThrow());
    }

    @Test
    void aDatabaseFromANewerVersionIsRefused() throws Exception {
        store.close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("am.db")); Statement s = c.createStatement()) {
            s.execute("UPDATE slice_schema SET version = 99");
        }
        SliceStore.StoreFailure e = assertThrows(SliceStore.StoreFailure.class, () -> SqliteSliceStore.open(dir.resolve("am.db")));
        assertTrue(e.getMessage().contains("newer vnsnap"), e.getMessage());
        store = new InMemorySliceStore();
    }
}
