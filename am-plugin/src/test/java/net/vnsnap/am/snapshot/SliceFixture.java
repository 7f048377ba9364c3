package net.vnsnap.am.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.am.catalog.SnapshotCatalog;
import net.vnsnap.am.testkit.FakeHost;
import net.vnsnap.am.testkit.TestClock;
import net.vnsnap.host.driver.SnapshotMode;

/** A three-VM slice on two fake hosts (vm1, vm2 on h1; vm3 on h2), a test clock and a coordinator over a given catalog. */
final class SliceFixture implements AutoCloseable {
    static final String SLICE = "urn:publicid:IDN+vnsnap.example.net+slice+demo";
    static final long GIB = 1L << 30;
    static final Instant START = Instant.parse("2026-11-26T14:00:00Z");

    final TestClock clock = new TestClock(START);
    final FakeHost h1 = new FakeHost("h1", clock, 64 * GIB).addVm("vm1", SLICE, GIB, 4 * GIB).addVm("vm2", SLICE, 2 * GIB, 4 * GIB);
    final FakeHost h2 = new FakeHost("h2", clock, 64 * GIB).addVm("vm3", SLICE, GIB, 2 * GIB);
    final ExecutorService pool = Executors.newCachedThreadPool();
    final AtomicInteger ids = new AtomicInteger();
    SnapshotCatalog catalog;
    SnapshotCoordinator coordinator;

    SliceFixture(SnapshotCatalog catalog) {
        this.catalog = catalog;
        this.coordinator = newCoordinator();
    }

    SnapshotCoordinator newCoordinator() {
        CoordinatorSettings s = CoordinatorSettings.defaults().withPollInterval(Duration.ofMillis(5))
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(30));
        return new SnapshotCoordinator(clock, pool, HostDirectory.of(Map.of("h1", h1, "h2", h2)), catalog,
                () -> "snap-" + ids.incrementAndGet(), s);
    }

    static SliceSnapshotRequest request(SnapshotMode mode) {
        Map<String, List<String>> vms = new LinkedHashMap<>();
        vms.put("h1", List.of("vm1", "vm2"));
        vms.put("h2", List.of("vm3"));
        return new SliceSnapshotRequest(SLICE, mode, true, "test", vms);
    }

    /** No VM is paused and no host holds files of the snapshot. */
    void assertCleanEverywhere(String snapshotId) {
        for (FakeHost h : List.of(h1, h2)) {
            assertEquals(List.of(), h.pausedVms(), h.hostId() + " left VMs paused");
            assertFalse(h.snapshotFiles().contains(snapshotId), h.hostId() + " kept files of " + snapshotId);
        }
    }

    @Override
    public void close() throws Exception {
        coordinator.close();
        catalog.close();
        pool.shutdownNow();
    }
}
