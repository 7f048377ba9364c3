package net.vnsnap.am.plugin.snapshot;

import static net.vnsnap.am.plugin.snapshot.SnapshotAm.ok;
import static net.vnsnap.am.plugin.snapshot.SnapshotAm.slivers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.core.AmFixture;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.testkit.FakeHost.Op;
import net.vnsnap.am.testkit.Gate;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.opstate.OpState;
import net.vnsnap.rspec.snapshot.SliceSnapshots;
import net.vnsnap.rspec.snapshot.SnapshotRecord;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import net.vnsnap.rspec.snapshot.SnapshotState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot actions, Status progress, Describe listing, errors, schedules and slice deletion through the v3 endpoint. */
abstract class SnapshotPluginCases {

    static final String SNAP = "<snap:snapshot mode=\"cow\"/>";

    @TempDir
    static Path fedDir;
    static AmFixture fx;
    @TempDir
    Path catalogDir;
    SnapshotAm am;

    /** Where the SQLite catalog goes, or null for the in-memory catalog. */
    abstract Path sqliteDir(Path tempDir);

    @BeforeAll
    static void federation() throws Exception {
        fx = new AmFixture(fedDir);
    }

    @BeforeEach
    void start() throws Exception {
        am = new SnapshotAm(fx, sqliteDir(catalogDir));
    }

    @AfterEach
    void stop() throws Exception {
        am.close();
    }

    static Map<String, Object> opts(Object... kv) {
        return AmFixture.options(kv);
    }

    static String op(Map<String, Object> sliver) {
        return (String) sliver.get("geni_operational_status");
    }

    @Test
    void advertisementCarriesTheActions() throws Exception {
        String ad = (String) ok(am.call("ListResources", am.creds("ad"), opts("geni_rspec_version", AmFixture.GENI3)));
        String opstate = OpState.read(new RSpecReader().read(ad)).toString();
        assertTrue(opstate.contains("vnsnap_snapshot") && opstate.contains("vnsnap_restore")
                && opstate.contains("vnsnap_delete_snapshot"), opstate);
    }

    @Test
    void onlySnapshotEnabledSliversAreTakenWithTheRequestsMode() throws Exception {
        am.provision("half", SnapshotAm.request(SNAP, ""));
        Map<?, ?> v = (Map<?, ?>) ok(am.poa("half", SnapshotPlugin.SNAPSHOT, opts()));
        String id = (String) v.get("vnsnap_snapshot_id");
        am.pollUntilReady("half");
        var rec = am.catalog.get(id).orElseThrow();
        assertEquals(SliceSnapshotState.COMPLETE, rec.state());
        assertEquals(SnapshotMode.COW, rec.mode());
        assertEquals(List.of("h1"), List.copyOf(rec.hosts()));
        assertEquals(0, am.h2.snapshotFiles().size());
    }

    @Test
    void statusShowsTheLastSnapshotsAndRestoresFigures() throws Exception {
        am.provision("figs", SnapshotAm.request(SNAP, SNAP));
        String id = (String) ((Map<?, ?>) ok(am.poa("figs", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        List<Map<String, Object>> after = am.pollUntil("figs", s -> op(s).equals("geni_ready") && s.containsKey("vnsnap_last_outcome"));
        var rec = am.catalog.get(id).orElseThrow();
        for (Map<String, Object> s : after) {
            assertEquals(id, s.get("vnsnap_last_snapshot_id"));
            assertEquals((int) (rec.cutSkew().toNanos() / 1000), s.get("vnsnap_last_cut_skew_us"), s::toString);
            assertEquals((int) rec.framesHeld(), s.get("vnsnap_last_frames_held"), s::toString);
            assertEquals((int) rec.framesRecorded(), s.get("vnsnap_last_frames_recorded"), s::toString);
            assertEquals((int) rec.framesDropped(), s.get("vnsnap_last_frames_dropped"), s::toString);
            assertEquals((int) java.time.Duration.between(rec.createdAt(), rec.finishedAt()).toMillis(),
                    s.get("vnsnap_last_duration_ms"), s::toString);
            assertFalse(s.containsKey("vnsnap_last_resume_skew_us"), s::toString);
        }
        ok(am.poa("figs", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id)));
        List<Map<String, Object>> restored = am.pollUntil("figs", s -> op(s).equals("geni_ready")
                && "vnsnap_restore".equals(s.get("vnsnap_last_action")));
        for (Map<String, Object> s : restored) {
            assertEquals("succeeded", s.get("vnsnap_last_outcome"), s::toString);
            assertTrue((Integer) s.get("vnsnap_last_resume_skew_us") >= 0, s::toString);
            assertTrue((Integer) s.get("vnsnap_last_duration_ms") >= 0, s::toString);
            assertFalse(s.containsKey("vnsnap_last_frames_held"), "a restore carries no snapshot figures: " + s);
        }
    }

    @Test
    void missingAndUnknownIdsAreRefused() throws Exception {
        am.provision("ids", SnapshotAm.request(SNAP, SNAP));
        for (String action : List.of(SnapshotPlugin.RESTORE, SnapshotPlugin.DELETE)) {
            Map<String, Object> r = am.poa("ids", action, opts());
            assertEquals(1, AmFixture.code(r), r::toString);
            assertTrue(((String) r.get("output")).contains("vnsnap_snapshot_id"), r::toString);
            r = am.poa("ids", action, opts("vnsnap_snapshot_id", "snap-404"));
            assertEquals(12, AmFixture.code(r), r::toString);
            assertTrue(((String) r.get("output")).contains("snap-404"), r::toString);
        }
        // Another slice's snapshot is as unknown as a made-up id.
        am.provision("other", SnapshotAm.request(SNAP, SNAP));
        String theirs = (String) ((Map<?, ?>) ok(am.poa("other", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        am.pollUntilReady("other");
        assertEquals(12, AmFixture.code(am.poa("ids", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", theirs))));
        assertTrue(slivers(ok(am.status("ids"))).stream().allMatch(s -> op(s).equals("geni_ready")));
    }

    @Test
    void secondOperationOnABusySliceIsBusy() throws Exception {
        am.provision("busy", SnapshotAm.request(SNAP, SNAP));
        Gate take = am.h2.gateBefore(Op.TAKE);
        String id = (String) ((Map<?, ?>) ok(am.poa("busy", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        take.awaitArrival();
        Map<String, Object> again = am.poa("busy", SnapshotPlugin.SNAPSHOT, opts());
        assertEquals(14, AmFixture.code(again), again::toString);
        assertTrue(((String) again.get("output")).contains(id), again::toString);
        assertEquals(14, AmFixture.code(am.poa("busy", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id))));
        assertEquals(14, AmFixture.code(am.poa("busy", SnapshotPlugin.DELETE, opts("vnsnap_snapshot_id", id))));
        take.release();
        am.pollUntilReady("busy");
        ok(am.poa("busy", SnapshotPlugin.SNAPSHOT, opts()));
        am.pollUntilReady("busy");
    }

    @Test
    void sliceWithoutSnapshotEnabledSliversIsBadArgs() throws Exception {
        am.provision("plain", SnapshotAm.request("", ""));
        Map<String, Object> r = am.poa("plain", SnapshotPlugin.SNAPSHOT, opts());
        assertEquals(1, AmFixture.code(r), r::toString);
        assertTrue(((String) r.get("output")).contains("snap:snapshot"), r::toString);
        assertTrue(am.catalog.list(fx.sliceUrn("plain")).isEmpty());
    }

    @Test
    void modeAHostCannotTakeIsUnsupportedAndNothingStarts() throws Exception {
        am.provision("modes", SnapshotAm.request(SNAP, SNAP));
        am.h2.setModes(EnumSet.of(SnapshotMode.LIVE, SnapshotMode.STOP));
        Map<String, Object> r = am.poa("modes", SnapshotPlugin.SNAPSHOT, opts());
        assertEquals(13, AmFixture.code(r), r::toString);
        assertTrue(((String) r.get("output")).contains("host h2 cannot take cow"), r::toString);
        assertTrue(am.catalog.list(fx.sliceUrn("modes")).isEmpty());
        assertEquals(1, AmFixture.code(am.poa("modes", SnapshotPlugin.SNAPSHOT, opts("vnsnap_mode", "fast"))));
        ok(am.poa("modes", SnapshotPlugin.SNAPSHOT, opts("vnsnap_mode", "live")));
        am.pollUntilReady("modes");
    }

    @Test
    void hostFailingMidSnapshotLeavesTheSliceReadyWithTheErrorInStatus() throws Exception {
        String slice = am.provision("fails", SnapshotAm.request(SNAP, SNAP));
        String vm2 = am.h2.vms().get(0).name();
        am.h2.failTake(vm2, false);
        String id = (String) ((Map<?, ?>) ok(am.poa("fails", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        List<Map<String, Object>> after = am.pollUntil("fails", s -> op(s).equals("geni_ready") && s.containsKey("vnsnap_last_outcome"));
        for (Map<String, Object> s : after) {
            assertEquals("failed", s.get("vnsnap_last_outcome"));
            assertEquals(id, s.get("vnsnap_last_snapshot_id"));
            String err = (String) s.get("vnsnap_last_error");
            assertTrue(err.contains("host h2") && err.contains(vm2), err);
        }
        assertEquals(List.of(), am.h1.pausedVms());
        assertEquals(List.of(), am.h2.pausedVms());
        SnapshotRecord listed = SliceSnapshots.read(new RSpecReader().read(am.manifest("fails"))).orElseThrow().records().get(0);
        assertEquals(SnapshotState.FAILED, listed.state());
        assertEquals(SliceSnapshotState.FAILED, am.catalog.list(slice).get(0).state());
    }

    @Test
    void allocateRefusesNodesThatDisagreeOnTheMode() throws Exception {
        String slice = fx.sliceUrn("mixed");
        Map<String, Object> r = am.call("Allocate", slice, am.creds("mixed"),
                SnapshotAm.request(SNAP, "<snap:snapshot mode=\"live\"/>"), Map.of());
        assertEquals(1, AmFixture.code(r), r::toString);
        assertTrue(((String) r.get("output")).contains("mode"), r::toString);
    }

    @Test
    void periodicSnapshotsKeepTheNewestRetained() throws Exception {
        String every = "<snap:snapshot mode=\"cow\" schedule=\"PT30M\" retain=\"2\"/>";
        String slice = am.provision("cron", SnapshotAm.request(every, every));
        am.plugin.tick();
        assertTrue(am.catalog.list(slice).isEmpty(), "the first period starts when the schedule is first seen");
        am.clock.advance(Duration.ofMinutes(29));
        am.plugin.tick();
        assertTrue(am.catalog.list(slice).isEmpty());
        for (int i = 1; i <= 3; i++) {
            am.clock.advance(Duration.ofMinutes(31));
            am.plugin.tick();
            am.pollUntil("cron", s -> op(s).equals("geni_ready") && s.containsKey("vnsnap_last_outcome"));
            assertEquals(i, am.catalog.list(slice).size());
            am.plugin.tick();
            assertEquals(i, am.catalog.list(slice).size(), "not due again until the next period");
        }
        var all = am.catalog.list(slice);
        assertEquals(List.of(SliceSnapshotState.DELETED, SliceSnapshotState.COMPLETE, SliceSnapshotState.COMPLETE),
                all.stream().map(r -> r.state()).toList());
        assertTrue(all.stream().allMatch(r -> r.label().equals(SnapshotPlugin.SCHEDULED_LABEL)));
        assertEquals(2, am.h1.snapshotFiles().size());
        assertFalse(am.h1.snapshotFiles().contains(all.get(0).id()));
        List<SnapshotRecord> listed = SliceSnapshots.read(new RSpecReader().read(am.manifest("cron"))).orElseThrow().records();
        assertEquals(List.of(all.get(1).id(), all.get(2).id()), listed.stream().map(SnapshotRecord::id).toList());
        RSpec m = new RSpecReader().read(am.manifest("cron"));
        SnapshotSettings inForce = SnapshotSettings.read(m.node("vm1").orElseThrow()).orElseThrow();
        assertEquals(Duration.ofMinutes(30), inForce.schedule());
        assertEquals(2, inForce.retain());
    }

    @Test
    void deletingTheSliceStopsItsScheduleAndDeletesItsSnapshots() throws Exception {
        String every = "<snap:snapshot schedule=\"PT10M\"/>";
        String slice = am.provision("gone", SnapshotAm.request(every, every));
        am.plugin.tick();
        am.clock.advance(Duration.ofMinutes(11));
        am.plugin.tick();
        am.pollUntil("gone", s -> op(s).equals("geni_ready") && s.containsKey("vnsnap_last_outcome"));
        assertEquals(1, am.h1.snapshotFiles().size());
        ok(am.call("Delete", new Object[] {slice}, am.creds("gone"), Map.of()));
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ((!am.h1.snapshotFiles().isEmpty() || am.catalog.list(slice).get(0).state() != SliceSnapshotState.DELETED)
                && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(am.h1.snapshotFiles().isEmpty() && am.h2.snapshotFiles().isEmpty());
        assertEquals(SliceSnapshotState.DELETED, am.catalog.list(slice).get(0).state());
        am.clock.advance(Duration.ofHours(1));
        am.plugin.tick();
        assertEquals(1, am.catalog.list(slice).size());
        assertTrue(am.h1.vms().isEmpty());
        assertTrue(am.h1.vms().stream().noneMatch(v -> v.state() == VmState.RUNNING));
    }

    @Test
    void firstTickReleasesSliversLeftBusyByAnEarlierProcess() throws Exception {
        String slice = am.provision("left", SnapshotAm.request(SNAP, SNAP));
        SliceRecord rec = am.store.get(slice).orElseThrow();
        am.store.put(rec.withSlivers(rec.slivers().stream().map(v -> v.withOperational(OperationalState.READY_BUSY, "")).toList()));
        assertTrue(slivers(ok(am.status("left"))).stream().allMatch(s -> op(s).equals("geni_ready_busy")));
        am.plugin.tick();
        assertTrue(slivers(ok(am.status("left"))).stream().allMatch(s -> op(s).equals("geni_ready")));
    }

    /**
     * Hosts restore in parallel: a VM still running on one host would send frames to a VM another host has already
     * restored, which takes them as pre-cut traffic. So every VM being replaced is paused before any host restores.
     */
    @Test
    void restorePausesEveryVmOfTheSnapshotBeforeAnyHostRestores() throws Exception {
        am.provision("quiet", SnapshotAm.request(SNAP, SNAP));
        String id = (String) ((Map<?, ?>) ok(am.poa("quiet", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        am.pollUntilReady("quiet");
        String vm1 = am.h1.vms().get(0).name();
        String vm2 = am.h2.vms().get(0).name();
        assertEquals(VmState.RUNNING, am.h1.state(vm1));
        Gate h1Restores = am.h1.gateBefore(Op.RESTORE);
        ok(am.poa("quiet", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id)));
        h1Restores.awaitArrival();
        try {
            assertEquals(VmState.PAUSED, am.h1.state(vm1), "h1's VM is paused before h1 restores");
            assertTrue(am.h2.state(vm2) != VmState.RUNNING, "h2's VM is paused (or already replaced) before h1 restores");
        } finally {
            h1Restores.release();
        }
        List<Map<String, Object>> after = am.pollUntil("quiet", s -> op(s).equals("geni_ready")
                && "vnsnap_restore".equals(s.get("vnsnap_last_action")));
        after.forEach(s -> assertEquals("succeeded", s.get("vnsnap_last_outcome"), s::toString));
        assertEquals(VmState.RUNNING, am.h1.state(vm1));
        assertEquals(VmState.RUNNING, am.h2.state(vm2));
    }

    @Test
    void failedRestoreNamesTheHostAndKeepsTheSnapshotRestorable() throws Exception {
        am.provision("undo", SnapshotAm.request(SNAP, SNAP));
        String id = (String) ((Map<?, ?>) ok(am.poa("undo", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        am.pollUntilReady("undo");
        am.h1.failRestore();
        Map<?, ?> r = (Map<?, ?>) ok(am.poa("undo", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id)));
        assertTrue(slivers(r).stream().allMatch(s -> op(s).equals("geni_configuring")), r::toString);
        List<Map<String, Object>> after = am.pollUntil("undo", s -> !op(s).equals("geni_configuring")
                && "vnsnap_restore".equals(s.get("vnsnap_last_action")));
        for (Map<String, Object> s : after) {
            assertEquals("failed", s.get("vnsnap_last_outcome"));
            String err = (String) s.get("vnsnap_last_error");
            assertTrue(err.contains("RESTORE_FAILED on host h1"), err);
        }
        // h2's restored VM was removed so no half slice runs; Status reports what is left.
        assertEquals(List.of(), am.h2.vms());
        assertTrue(after.stream().anyMatch(s -> op(s).equals("geni_failed")), after::toString);
        assertEquals(SliceSnapshotState.COMPLETE, am.catalog.get(id).orElseThrow().state());
    }

    @Test
    void restoreWithAPlacementMovesTheVmAndTheAggregateFollowsIt() throws Exception {
        String slice = am.provision("move", SnapshotAm.request(SNAP, SNAP));
        String id = (String) ((Map<?, ?>) ok(am.poa("move", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        am.pollUntilReady("move");
        // Placements the aggregate can tell are wrong are refused at once.
        Map<String, Object> badNode = am.poa("move", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id, "vnsnap_placement", Map.of("vm9", "h2")));
        assertEquals(1, AmFixture.code(badNode), badNode::toString);
        assertTrue(((String) badNode.get("output")).contains("vm9"), badNode::toString);
        Map<String, Object> badHost = am.poa("move", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id, "vnsnap_placement", Map.of("vm1", "h9")));
        assertEquals(1, AmFixture.code(badHost), badHost::toString);
        assertEquals(2, am.h1.vms().size() + am.h2.vms().size(), "nothing was touched");

        ok(am.poa("move", SnapshotPlugin.RESTORE, opts("vnsnap_snapshot_id", id, "vnsnap_placement", Map.of("vm1", "h2"))));
        List<Map<String, Object>> after = am.pollUntil("move", s -> "geni_ready".equals(op(s))
                && "vnsnap_restore".equals(s.get("vnsnap_last_action")));
        for (Map<String, Object> s : after) {
            assertEquals("succeeded", s.get("vnsnap_last_outcome"), s::toString);
            assertEquals(0, s.get("vnsnap_last_resume_skew_us"), "the hosts' measured skew (one test clock)");
        }
        assertEquals(List.of(), am.h1.vms(), "vm1 left h1");
        assertEquals(2, am.h2.vms().size());
        assertTrue(am.store.get(slice).orElseThrow().slivers().stream().allMatch(v -> v.host().equals("h2")),
                "the aggregate records vm1's new host");
        // A later snapshot takes vm1 on h2; deleting the slice destroys it there.
        String next = (String) ((Map<?, ?>) ok(am.poa("move", SnapshotPlugin.SNAPSHOT, opts()))).get("vnsnap_snapshot_id");
        am.pollUntilReady("move");
        assertEquals(List.of("h2"), List.copyOf(am.catalog.get(next).orElseThrow().hosts()));
        ok(am.call("Delete", new Object[] {slice}, am.creds("move"), Map.of()));
        assertEquals(List.of(), am.h2.vms());
    }
}
