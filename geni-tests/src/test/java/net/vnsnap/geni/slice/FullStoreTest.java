package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.catalog.sqlite.SqliteSnapshotCatalog;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotError;
import net.vnsnap.am.snapshot.SnapshotFailure;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hostd2's snapshot store on a small tmpfs: a slice snapshot that does not fit fails cleanly and every VM runs on. */
class FullStoreTest {

    @TempDir
    Path tmp;
    private TwoHostTestbed bed;
    private SqliteSnapshotCatalog catalog;
    /** The tmpfs mount point while mounted, so the teardown unmounts it even after a failure. */
    private Path mounted;
    private ThreeVmSlice slice;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (bed != null) {
                bed.close();
            }
            if (catalog != null) {
                catalog.close();
            }
        } finally {
            if (mounted != null) {
                run("umount", mounted.toString());
            }
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) {
            System.err.println(String.join(" ", cmd) + ": " + out);
        }
        return p.exitValue();
    }

    /** Mounts a tmpfs of {@code size} for hostd2's store (skips the test without root). */
    private Path mountStore(String size) throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        Path store = Files.createDirectories(tmp.resolve("small-store"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", store.toString()) == 0,
                "mounting a tmpfs needs root");
        mounted = store;
        return store;
    }

    private SnapshotCoordinator startSlice(Path store, String name, int vni) throws Exception {
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of("hostd2", Map.of("store.dir", store.toString())));
        catalog = SqliteSnapshotCatalog.open(tmp.resolve("catalog.db"));
        SnapshotCoordinator c = bed.coordinator(catalog, TwoHostTestbed.testSettings());
        slice = ThreeVmSlice.create(bed, name, vni, ColourPolicy.HOLD_AND_RECORD, ThreeVmSlice.Workload.DEFAULT);
        return c;
    }

    /** Every VM runs and counts on, no snapshot of the slice is COMPLETE, and no host holds or stores this one. */
    private void assertCleanlyAborted(SnapshotCoordinator c, Path store, String id) throws Exception {
        SliceAssertions.assertNoneComplete(c, slice.slice);
        for (String host : TwoHostTestbed.HOSTS) {
            assertEquals(List.of(), bed.agent(host).snapshots(), host);
        }
        SliceAssertions.assertStoreHasNo(store, id);
        SliceAssertions.assertStoreHasNo(tmp.resolve("bed/hostd1/store"), id);
        SliceAssertions.assertRunningAndAdvancing(bed.agent("hostd1"), "vm1", slice.console("vm1"), ThreeVmSlice.UDP_TX, Duration.ofSeconds(60));
        SliceAssertions.assertRunningAndAdvancing(bed.agent("hostd1"), "vm2", slice.console("vm2"), ThreeVmSlice.TCP_TX, Duration.ofSeconds(60));
        SliceAssertions.assertRunningAndAdvancing(bed.agent("hostd2"), "vm3", slice.console("vm3"), ThreeVmSlice.UDP_TX, Duration.ofSeconds(60));
    }

    @Test
    void aStoreThatFillsUpDuringTheTakeFailsTheSnapshotWithEveryVmRunning() throws Exception {
        // 160 MiB passes prepare's check (128 MiB of RAM + 1 MiB); a filler written as soon as prepare has reserved the
        // snapshot's directory leaves too little for the memory image, so the take itself meets ENOSPC.
        Path store = mountStore("160m");
        SnapshotCoordinator c = startSlice(store, "fillup", 407);
        SnapshotHandle h = c.start(new SliceSnapshotRequest(slice.slice, SnapshotMode.COW, false, "fillup", ThreeVmSlice.PLACEMENT));
        Path reserved = store.resolve(h.snapshotId() + ".partial");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(reserved) && !h.completion().isDone() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        long filled = fill(store.resolve("filler"), 140L << 20);
        SliceSnapshotRecord rec = h.await(Duration.ofMinutes(3));
        Assumptions.assumeTrue(rec.state() == SliceSnapshotState.FAILED,
                "the filler (" + (filled >> 20) + " MiB) came too late: the image was written first, nothing was tested");
        SnapshotError err = h.failure().orElseThrow();
        assertEquals("hostd2", err.host(), err.message());
        assertTrue(err.failure() == SnapshotFailure.TAKE_FAILED || err.failure() == SnapshotFailure.PREPARE_REFUSED, err.message());
        Files.delete(store.resolve("filler"));
        assertCleanlyAborted(c, store, h.snapshotId());
        System.out.println("store filled during take: " + rec.failure());
    }

    /** Writes up to {@code bytes} into {@code file} until the file system is full; returns what was written. */
    private static long fill(Path file, long bytes) {
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 1);
        long written = 0;
        try (var out = Files.newOutputStream(file)) {
            while (written < bytes) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException e) {
            // ENOSPC: the store is full, which is the point.
        }
        return written;
    }

    @Test
    void aFullStoreOnOneHostFailsTheSnapshotWithEveryVmRunning() throws Exception {
        Path store = mountStore("32m");
        SnapshotCoordinator c = startSlice(store, "fullstore", 405);

        SnapshotHandle h = c.start(new SliceSnapshotRequest(slice.slice, SnapshotMode.COW, false, "full", ThreeVmSlice.PLACEMENT));
        SliceSnapshotRecord rec = h.await(Duration.ofMinutes(3));
        assertEquals(SliceSnapshotState.FAILED, rec.state(), rec.toString());
        SnapshotError err = h.failure().orElseThrow();
        assertEquals(SnapshotFailure.PREPARE_REFUSED, err.failure(), err.message());
        assertEquals("hostd2", err.host(), err.message());
        assertEquals("vm3", err.vm(), err.message());
        assertTrue(rec.failure().contains("hostd2"), rec.failure());
        // No VM was ever paused for this snapshot: every cut is empty.
        assertTrue(rec.vms().stream().allMatch(v -> v.cutAt() == null), rec.vms().toString());
        assertCleanlyAborted(c, store, h.snapshotId());
        System.out.println("full store: " + rec.failure());
    }
}
