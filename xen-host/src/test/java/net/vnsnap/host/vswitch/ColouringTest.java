package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import net.vnsnap.host.vswitch.frame.Ethernet;

/** The Mattern colouring rules at the receiving port: hold, record, overflow, DROP, NONE and restore replay. */
class ColouringTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final Duration QUIET = Duration.ofMillis(100);
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("slice1", "link0");
    static final PortId PA = new PortId(SEG, "a");
    static final PortId PB = new PortId(SEG, "b");
    static final PortId PC = new PortId(SEG, "c");

    private VirtualSwitch sw;
    private TestVm a;
    private TestVm b;
    private TestVm c;
    private final List<TestVm> vms = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (TestVm vm : vms) {
            vm.close();
        }
        if (sw != null) {
            sw.close();
        }
    }

    /** Three VMs on one segment, each announced by a broadcast so unicast needs no flooding. */
    private void start(SwitchConfig config, ColourPolicy policy) throws IOException {
        sw = VirtualSwitch.start("colour", config);
        sw.createSegment(SEG, 7, policy);
        a = attach(PA, 0xA);
        b = attach(PB, 0xB);
        c = attach(PC, 0xC);
        for (TestVm vm : vms) {
            vm.send(Ethernet.BROADCAST, "up");
        }
        for (TestVm vm : vms) {
            assertNotNull(vm.receive(WAIT));
            assertNotNull(vm.receive(WAIT));
        }
    }

    private TestVm attach(PortId id, long mac) throws IOException {
        TestVm vm = new TestVm(mac);
        vms.add(vm);
        vm.switchPort = sw.addPort(id, ANY, vm.address());
        return vm;
    }

    private List<String> receiveTexts(TestVm vm, int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] f = vm.receive(WAIT);
            assertNotNull(f, "frame " + i + " of " + n + ", got " + out);
            out.add(TestVm.text(f));
        }
        return out;
    }

    @Test
    void postCutFrameIsHeldUntilTheReceiverCutsThenDeliveredInOrder() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PA, 1);
        for (int i = 0; i < 5; i++) {
            a.send(b.mac, "m" + i);
        }
        assertNull(b.receive(QUIET), "b is still pre-cut: a's post-cut frames must wait");
        assertEquals(5, sw.counters(PB).heldNow());
        sw.advanceEpoch(PB, 1);
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), receiveTexts(b, 5));
        PortCounters cb = sw.counters(PB);
        assertEquals(0, cb.heldNow());
        assertEquals(5, cb.released());
        assertEquals(0, cb.recordedTotal(), "same epoch at release: nothing to record");
        assertTrue(sw.drainRecorded(PB, 1).isEmpty());
    }

    @Test
    void preCutFrameToPostCutReceiverIsDeliveredAndRecorded() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PB, 1);
        byte[] w0 = a.frame(b.mac, "w0".getBytes());
        byte[] w1 = a.frame(b.mac, "w1".getBytes());
        a.send(w0);
        a.send(w1);
        assertArrayEquals(w0, b.receive(WAIT));
        assertArrayEquals(w1, b.receive(WAIT));
        assertTrue(sw.drainRecorded(PB, 2).isEmpty(), "recorded under the receiver's epoch 1 only");
        List<RecordedFrame> rec = sw.drainRecorded(PB, 1);
        assertEquals(List.of(new RecordedFrame(0, 1, w0), new RecordedFrame(0, 1, w1)), rec);
        assertTrue(sw.drainRecorded(PB, 1).isEmpty(), "draining removes the frames");
        assertEquals(2, sw.counters(PB).recordedTotal());
    }

    @Test
    void framesForAVmBeingPausedWaitForItsCutAndThePreCutOnesAreRecorded() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.beginPause(PB);
        byte[] w0 = a.frame(b.mac, "w0".getBytes());
        a.send(w0);
        assertNull(b.receive(QUIET), "nothing may reach the socket of a VM that is being paused for its cut");
        sw.advanceEpoch(PB, 1);
        sw.endPause(PB);
        assertArrayEquals(w0, b.receive(WAIT));
        assertEquals(List.of(new RecordedFrame(0, 1, w0)), sw.drainRecorded(PB, 1),
                "sent before a's cut, read after b's: channel state");
        a.send(b.mac, "after");
        assertEquals(List.of("after"), receiveTexts(b, 1));
    }

    @Test
    void afterTheCutOfAPausedVmFramesAreRecordedAtOnceButDeliveredOnlyOnceItRuns() throws IOException {
        // A paused VM's socket holds only a few hundred datagrams and the kernel drops the rest unseen: what the switch
        // released into it between the cut and the resume could be lost to the running slice.
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.beginPause(PB);
        a.send(b.mac, "held");
        Await.until(() -> sw.counters(PB).heldNow() == 1, () -> "held before the cut");
        sw.advanceEpoch(PB, 1);
        a.send(b.mac, "pre-cut, after b's cut");
        sw.advanceEpoch(PA, 1);
        a.send(b.mac, "post-cut");
        Await.until(() -> sw.counters(PB).heldNow() == 3, () -> "three frames wait for b: " + sw.counters(PB));
        assertNull(b.receive(QUIET), "nothing may reach the socket of the VM before it resumes");
        assertEquals(List.of("held", "pre-cut, after b's cut"), sw.drainRecorded(PB, 1).stream()
                .map(r -> TestVm.text(r.frame())).toList(),
                "the pre-cut frames are channel state from the cut on, before the VM resumes");
        sw.endPause(PB);
        assertEquals(List.of("held", "pre-cut, after b's cut", "post-cut"), receiveTexts(b, 3), "all of them, in order");
        assertEquals(0, sw.counters(PB).heldNow());
        assertEquals(3, sw.counters(PB).heldTotal());
        assertEquals(0, sw.counters(PB).droppedTotal());
        a.send(b.mac, "later");
        assertEquals(List.of("later"), receiveTexts(b, 1), "no hold once the VM runs");
        assertTrue(sw.drainRecorded(PB, 1).isEmpty());
    }

    @Test
    void framesTheHypervisorStillQueuedAtTheCutAreRecordedFirstAndNotSentAgain() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        // Delivered before b's cut, but still in the host's queues towards b's guest when b was suspended.
        a.send(b.mac, "queued in dom0");
        assertEquals(List.of("queued in dom0"), receiveTexts(b, 1));
        byte[] queued = a.frame(b.mac, "queued in dom0".getBytes());
        sw.beginPause(PB);
        a.send(b.mac, "held");
        Await.until(() -> sw.counters(PB).heldNow() == 1, () -> "held before the cut");
        sw.recordUndelivered(PB, 1, List.of(queued));
        sw.advanceEpoch(PB, 1);
        assertEquals(List.of("queued in dom0", "held"), sw.drainRecorded(PB, 1).stream().map(r -> TestVm.text(r.frame())).toList(),
                "channel state in the order the frames reached the port: the queued one first");
        sw.endPause(PB);
        assertEquals(List.of("held"), receiveTexts(b, 1), "the running VM gets the queued frame from the host, not again from the switch");
        assertNull(b.receive(QUIET));
        assertThrows(IllegalArgumentException.class, () -> sw.recordUndelivered(PB, 1, List.of(queued)),
                "only for a cut still to come");
        assertThrows(IllegalArgumentException.class, () -> sw.recordUndelivered(PB, 2, List.of(new byte[3])), "a runt frame");
        assertTrue(sw.drainRecorded(PB, 2).isEmpty(), "a refused call records nothing");
    }

    @Test
    void beginPauseChangesNothingWithoutColouring() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.NONE);
        sw.beginPause(PB);
        a.send(b.mac, "w0");
        assertEquals(List.of("w0"), receiveTexts(b, 1));
        assertEquals(0, sw.counters(PB).heldTotal());
    }

    @Test
    void endPauseWithoutACutDeliversTheHeldFramesUnrecorded() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.beginPause(PB);
        a.send(b.mac, "w0");
        assertNull(b.receive(QUIET));
        sw.endPause(PB);
        assertEquals(List.of("w0"), receiveTexts(b, 1));
        assertEquals(0, sw.counters(PB).recordedTotal());
        assertEquals(0, sw.epoch(PB));
    }

    @Test
    void heldFramesWaitForTheirOwnEpochAndOverflowIsCounted() throws IOException {
        start(SwitchConfig.defaults().withLimits(64, 3, 16), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PA, 2);
        sw.advanceEpoch(PC, 1);
        a.send(b.mac, "from a at 2");
        Await.until(() -> sw.counters(PB).heldNow() == 1, () -> "a's frame held");
        c.send(b.mac, "from c at 1");
        // Two sockets are read in no fixed order: wait so c's frame is held before the buffer fills up.
        Await.until(() -> sw.counters(PB).heldNow() == 2, () -> "c's frame held");
        a.send(b.mac, "a again");
        a.send(b.mac, "overflow 1");
        a.send(b.mac, "overflow 2");
        Await.until(() -> sw.counters(PB).dropped(DropReason.HOLD_OVERFLOW) == 2, () -> "2 overflow drops");
        assertNull(b.receive(QUIET));
        sw.advanceEpoch(PB, 1);
        assertEquals(List.of("from c at 1"), receiveTexts(b, 1));
        assertNull(b.receive(QUIET), "a's epoch-2 frames must wait for b's epoch 2");
        sw.advanceEpoch(PB, 2);
        assertEquals(List.of("from a at 2", "a again"), receiveTexts(b, 2));
        PortCounters cb = sw.counters(PB);
        assertEquals(3, cb.heldTotal());
        assertEquals(2, cb.dropped(DropReason.HOLD_OVERFLOW));
    }

    @Test
    void exhaustedPoolIsCountedSeparately() throws IOException {
        start(SwitchConfig.defaults().withLimits(2, 8, 8), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PA, 1);
        for (int i = 0; i < 3; i++) {
            a.send(b.mac, "p" + i);
        }
        Await.until(() -> sw.counters(PB).dropped(DropReason.POOL_EXHAUSTED) == 1, () -> "a pool drop");
        assertEquals(0, sw.counters().poolFree());
        sw.advanceEpoch(PB, 1);
        assertEquals(List.of("p0", "p1"), receiveTexts(b, 2));
        assertEquals(2, sw.counters().poolFree(), "released slots return to the pool");
    }

    @Test
    void framesThePausedVmAlreadySentKeepTheOldEpoch() throws Exception {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        // Stall the selector thread so a's frames are still in the port's socket when the cut is handled.
        CountDownLatch stall = new CountDownLatch(1);
        sw.post(() -> {
            try {
                stall.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        int n = 20;
        for (int i = 0; i < n; i++) {
            a.send(b.mac, "pre" + i);
        }
        CompletableFuture<Void> cut = CompletableFuture.runAsync(() -> sw.advanceEpoch(PA, 1));
        Await.until(() -> sw.pendingCommands() > 0, () -> "the cut to be queued");
        stall.countDown();
        cut.get(2, TimeUnit.SECONDS);
        List<String> got = receiveTexts(b, n);
        assertEquals(0, sw.counters(PB).heldTotal(), "pre-cut frames were coloured post-cut");
        assertEquals("pre0", got.get(0));
        assertEquals("pre" + (n - 1), got.get(n - 1));
    }

    @Test
    void drainRecordedFirstHandlesFramesAlreadyQueuedAtTheSwitch() throws Exception {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PB, 1);
        CountDownLatch stall = new CountDownLatch(1);
        sw.post(() -> {
            try {
                stall.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        a.send(b.mac, "last white frame");
        CompletableFuture<List<RecordedFrame>> drain = CompletableFuture.supplyAsync(() -> sw.drainRecorded(PB, 1));
        Await.until(() -> sw.pendingCommands() > 0, () -> "the drain to be queued");
        stall.countDown();
        List<RecordedFrame> rec = drain.get(2, TimeUnit.SECONDS);
        assertEquals(1, rec.size(), "a frame waiting in a's socket belongs to b's channel state");
        assertEquals("last white frame", TestVm.text(rec.get(0).frame()));
        assertEquals("last white frame", TestVm.text(b.receive(WAIT)));
    }

    @Test
    void dropPolicyDiscardsPostCutFramesAndRecordsNothing() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.DROP);
        sw.advanceEpoch(PA, 1);
        a.send(b.mac, "red");
        Await.until(() -> sw.counters(PB).dropped(DropReason.COLOUR) == 1, () -> "a colour drop");
        sw.advanceEpoch(PB, 1);
        assertNull(b.receive(QUIET), "a dropped frame never comes back");
        c.send(b.mac, "white");
        assertEquals("white", TestVm.text(b.receive(WAIT)));
        assertTrue(sw.drainRecorded(PB, 1).isEmpty());
        assertEquals(0, sw.counters(PB).heldTotal());
    }

    @Test
    void nonePolicyDeliversAcrossTheCutAtOnce() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.NONE);
        sw.advanceEpoch(PA, 1);
        a.send(b.mac, "red");
        assertEquals("red", TestVm.text(b.receive(WAIT)));
        sw.advanceEpoch(PB, 2);
        c.send(b.mac, "white");
        assertEquals("white", TestVm.text(b.receive(WAIT)));
        PortCounters cb = sw.counters(PB);
        assertEquals(0, cb.heldTotal());
        assertEquals(0, cb.recordedTotal());
    }

    @Test
    void restoreReplaysRecordedFramesBeforeAnyNewTraffic() throws IOException {
        start(SwitchConfig.defaults(), ColourPolicy.HOLD_AND_RECORD);
        sw.advanceEpoch(PB, 1);
        a.send(b.mac, "in flight 1");
        a.send(b.mac, "in flight 2");
        assertEquals(List.of("in flight 1", "in flight 2"), receiveTexts(b, 2));
        sw.advanceEpoch(PA, 1);
        List<byte[]> channelState = sw.drainRecorded(PB, 1).stream().map(RecordedFrame::frame).toList();
        assertEquals(2, channelState.size());

        // The live run goes on, then the slice is restored: b comes back on a new socket, paused.
        sw.advanceEpoch(PA, 2);
        a.send(b.mac, "abandoned");
        Await.until(() -> sw.counters(PB).heldNow() == 1, () -> "a held frame from epoch 2");
        TestVm b2 = new TestVm(b.mac);
        vms.add(b2);
        b2.switchPort = b.switchPort;
        sw.prepareRestore(PB, 3, channelState);
        sw.setPeer(PB, b2.address());
        assertEquals(1, sw.counters(PB).dropped(DropReason.RESTORE_DISCARD));
        // While b is suspended, a restored peer (already in the restore's epoch 3) and a VM of the replaced run
        // (c, still in epoch 0 because its host has not replaced it yet) both send to it.
        sw.advanceEpoch(PA, 3);
        a.send(b.mac, "restored peer");
        c.send(b.mac, "replaced run");
        Await.until(() -> sw.counters(PB).heldNow() == 2, () -> "both frames held at the suspended port");
        assertNull(b2.receive(QUIET), "nothing reaches a suspended port");
        sw.resume(PB);
        assertEquals(List.of("in flight 1", "in flight 2", "restored peer"), receiveTexts(b2, 3),
                "the channel state first, then the restored run's traffic; the replaced run's frame is discarded");
        assertNull(b2.receive(QUIET), "the frame of the replaced run never arrives");
        assertNull(b.receive(QUIET), "the old socket gets nothing");
        PortCounters cb = sw.counters(PB);
        assertEquals(2, cb.injected());
        assertEquals(2, cb.dropped(DropReason.RESTORE_DISCARD));
        assertEquals(3, cb.epoch());
        // After the resume the port forwards normally again.
        a.send(b.mac, "later");
        assertEquals(List.of("later"), receiveTexts(b2, 1));
    }
}
