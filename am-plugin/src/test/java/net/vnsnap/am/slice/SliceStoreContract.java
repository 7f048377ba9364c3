package net.vnsnap.am.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every SliceStore must do; one subclass per implementation. */
abstract class SliceStoreContract {

    protected SliceStore store;

    protected abstract SliceStore newStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    static SliceRecord slice(String name, int slivers) {
        List<Sliver> s = new ArrayList<>();
        for (int i = 0; i < slivers; i++) {
            s.add(new Sliver("urn:publicid:IDN+vnsnap:t+sliver+" + name + "-" + i, "urn:publicid:IDN+vnsnap:t+slice+" + name,
                    "vm" + i, "host" + (i % 2), name + "-vm" + i, AllocationState.ALLOCATED, OperationalState.PENDING_ALLOCATION,
                    Instant.parse("2027-01-01T00:10:00Z"), ""));
        }
        return new SliceRecord("urn:publicid:IDN+vnsnap:t+slice+" + name, "urn:publicid:IDN+vnsnap:t+user+alice",
                "<rspec type='request'/>", "<rspec type='manifest'/>", Instant.parse("2027-01-01T00:00:00Z"), s,
                java.util.Map.of("vni.lan0", "4096", "users", "[]"));
    }

    @Test
    void storesAndReadsBackExactly() throws Exception {
        SliceRecord s = slice("a", 3);
        store.put(s);
        assertEquals(s, store.get(s.urn()).orElseThrow());
        assertEquals(List.of(s), store.all());
        assertTrue(store.get("urn:publicid:IDN+vnsnap:t+slice+none").isEmpty());
    }

    @Test
    void aPutReplacesTheSliceAndAllItsSlivers() throws Exception {
        SliceRecord s = slice("b", 3);
        store.put(s);
        List<Sliver> changed = new ArrayList<>();
        changed.add(s.slivers().get(0).with(AllocationState.PROVISIONED, OperationalState.READY));
        changed.add(s.slivers().get(2).withOperational(OperationalState.FAILED, "host1 unreachable"));
        SliceRecord t = s.withSlivers(changed).withManifest("<rspec type='manifest'>new</rspec>")
                .withAttribute("users", null).withAttribute("shutdown", "2027-01-01T00:05:00Z");
        store.put(t);
        assertEquals(t, store.get(s.urn()).orElseThrow());
        assertEquals(2, store.get(s.urn()).orElseThrow().slivers().size());
    }

    @Test
    void deleteRemovesSliceAndSlivers() throws Exception {
        store.put(slice("c", 2));
        store.put(slice("d", 1));
        store.delete("urn:publicid:IDN+vnsnap:t+slice+c");
        store.delete("urn:publicid:IDN+vnsnap:t+slice+never");
        assertEquals(1, store.all().size());
        // The sliver URNs of a deleted slice can be used again.
        store.put(slice("c", 2));
        assertEquals(2, store.all().size());
    }

    @Test
    void concurrentWritersNeverMixSlices() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> f = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                f.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        store.put(slice("w" + writer, 1 + i % 3));
                    }
                    return null;
                }));
            }
            for (Future<?> x : f) {
                x.get();
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(4, store.all().size());
        for (SliceRecord r : store.all()) {
            assertEquals(1 + 19 % 3, r.slivers().size(), "each writer's last put wins whole");
            for (Sliver s : r.slivers()) {
                assertEquals(r.urn(), s.sliceUrn());
            }
        }
    }
}
