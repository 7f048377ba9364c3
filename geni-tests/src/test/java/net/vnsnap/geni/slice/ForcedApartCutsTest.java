package net.vnsnap.geni.slice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts forced three seconds apart (hostd1's VMs first): without colouring the restored slice shows orphans and losses,
 * which proves the consistency checks can fail; with HOLD_AND_RECORD the same cuts restore consistently.
 */
class ForcedApartCutsTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    /** How far apart the two hosts cut: 60 datagrams each way at 20/s, well inside the 512-frame hold buffer. */
    private static final Duration APART = Duration.ofSeconds(3);

    @TempDir
    Path tmp;
    private TwoHostTestbed bed;
    private ExecutorService pool;

    @AfterEach
    void tearDown() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (bed != null) {
            bed.close();
        }
    }

    /** What a forced-apart snapshot and its restore showed. */
    private record Outcome(Consistency.Udp toVm3, Consistency.Udp toVm1, Duration skew, long held, long recorded, long dropped) {
    }

    @Test
    void withoutColouringTheRestoredSliceHasOrphansAndLosses() throws Exception {
        Outcome o = snapshotApartAndRestore(ColourPolicy.NONE, 403);
        // vm1 cut first: what it sent in the next 3 s reached vm3 before vm3's cut (orphans, seen again as duplicates);
        // what vm3 sent in those 3 s reached vm1 after its cut, unrecorded (lost after the restore).
        assertTrue(o.toVm3().violations().stream().anyMatch(v -> v.contains("duplicate/orphan")), o.toString());
        assertTrue(o.toVm1().violations().stream().anyMatch(v -> v.contains("lost")), o.toString());
        assertEquals(0, o.held() + o.recorded(), "NONE neither holds nor records");
    }

    @Test
    void holdAndRecordRestoresTheSameForcedApartCutsConsistently() throws Exception {
        Outcome o = snapshotApartAndRestore(ColourPolicy.HOLD_AND_RECORD, 404);
        assertEquals(List.of(), o.toVm3().violations(), o.toString());
        assertEquals(List.of(), o.toVm1().violations(), o.toString());
        // The three seconds between the cuts were really bridged by the switch, in both directions.
        assertTrue(o.held() >= 20, "post-cut frames from vm1 held for vm3: " + o);
        assertTrue(o.recorded() >= 20, "pre-cut frames from vm3 recorded for vm1: " + o);
        assertTrue(o.toVm1().replayed() >= 20, "vm1 read the recorded datagrams after the restore: " + o);
        assertEquals(0, o.dropped(), o.toString());
    }

    /** Prepares both hosts, takes hostd1 at one instant and hostd2 {@link #APART} later, commits, destroys, restores. */
    private Outcome snapshotApartAndRestore(ColourPolicy policy, int vni) throws Exception {
        Assumptions.assumeTrue(Checkout.qemuPresent(), "QEMU is not installed");
        bed = TwoHostTestbed.start(tmp.resolve("bed"), Map.of());
        pool = Executors.newFixedThreadPool(2);
        ThreeVmSlice slice = ThreeVmSlice.create(bed, "apart-" + policy.name().toLowerCase(), vni, policy,
                ThreeVmSlice.Workload.DEFAULT);
        Map<String, GuestConsole> original = slice.consoles();
        String id = "apart-" + vni;
        for (String host : TwoHostTestbed.HOSTS) {
            assertTrue(bed.agent(host).prepareSnapshot(new SnapshotPlan(id, slice.slice, 1, SnapshotMode.COW, false,
                    ThreeVmSlice.PLACEMENT.get(host))).ready());
        }
        Instant first = Instant.now().plusMillis(500);
        Future<List<VmCut>> c1 = pool.submit(() -> bed.agent("hostd1").takeSnapshot(id, first));
        Future<List<VmCut>> c2 = pool.submit(() -> bed.agent("hostd2").takeSnapshot(id, first.plus(APART)));
        List<VmCut> cuts = new ArrayList<>(c1.get(3, TimeUnit.MINUTES));
        cuts.addAll(c2.get(3, TimeUnit.MINUTES));
        Instant min = cuts.stream().map(VmCut::cutAt).min(Instant::compareTo).orElseThrow();
        Instant max = cuts.stream().map(VmCut::cutAt).max(Instant::compareTo).orElseThrow();
        long held = 0;
        long recorded = 0;
        long dropped = 0;
        for (String host : TwoHostTestbed.HOSTS) {
            HostSnapshot s = bed.agent(host).commitSnapshot(id);
            assertTrue(s.complete());
            held += s.framesHeld();
            recorded += s.framesRecorded();
            dropped += s.framesDropped();
        }
        slice.destroyAll();
        List<VmInfo> restored = new ArrayList<>();
        for (String host : TwoHostTestbed.HOSTS) {
            restored.addAll(bed.agent(host).restoreSnapshot(id, 2));
        }
        Instant resumeAt = Instant.now().plusMillis(500);
        Future<List<VmInfo>> r1 = pool.submit(() -> bed.agent("hostd1").resumeRestored(id, resumeAt));
        Future<List<VmInfo>> r2 = pool.submit(() -> bed.agent("hostd2").resumeRestored(id, resumeAt));
        r1.get(2, TimeUnit.MINUTES);
        r2.get(2, TimeUnit.MINUTES);
        slice.adopt(restored);
        Outcome o = new Outcome(
                Consistency.udp("vm1->vm3", original.get("vm1"), slice.console("vm1"), slice.console("vm3"), WAIT),
                Consistency.udp("vm3->vm1", original.get("vm3"), slice.console("vm3"), slice.console("vm1"), WAIT),
                Duration.between(min, max), held, recorded, dropped);
        assertTrue(o.skew().compareTo(APART.minusMillis(500)) > 0, "the cuts really were apart: " + o.skew());
        System.out.println(policy + " apart: " + o);
        return o;
    }
}
