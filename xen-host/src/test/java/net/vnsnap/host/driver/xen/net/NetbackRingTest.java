package net.vnsnap.host.driver.xen.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading netback's debugfs view of a vif's receive ring: the slots a stopped guest had not processed. */
class NetbackRingTest {

    /** One queue's file as Linux 6.1's netback prints it, with the receive ring's indices filled in. */
    static String ioRing(long rxReqProd, long rxRspProd, long rxRspPvt) {
        return ioRing(rxReqProd, rxRspProd, rxRspPvt, 1);
    }

    /** The same with the response event the guest set ({@code rsp_cons + 1} at its last check). */
    static String ioRing(long rxReqProd, long rxRspProd, long rxRspPvt, long rxRspEvent) {
        return "Queue 0\nTX: nr_ents 256\n"
                + "req prod 1201 (0) cons 1201 (0) event 1202 (1)\n"
                + "rsp prod 1201 (base) pvt 1201 (0) event 1202 (1)\n"
                + "pending prod 256 pending cons 256 nr_pending_reqs 0\n"
                + "dealloc prod 945 dealloc cons 945 dealloc_queue 0\n\n"
                + "RX: nr_ents 256\n"
                + "req prod " + rxReqProd + " (" + (rxReqProd - rxRspProd) + ") cons " + rxRspPvt + " (0) event " + (rxRspProd + 1) + " (1)\n"
                + "rsp prod " + rxRspProd + " (base) pvt " + rxRspPvt + " (" + (rxRspPvt - rxRspProd) + ") event " + rxRspEvent + " ("
                + (rxRspEvent - rxRspProd) + ")\n\n"
                + "NAPI state: 0 NAPI weight: 64 TX queue len 0\n"
                + "Credit timer_pending: 0, credit: 18446744073709551615, usec: 0\n"
                + "remaining: 18446744073709551615, expires: 0, now: 4295623151\n\n"
                + "Rx internal queue: len 0 max 8388608 pkts 0 running\n";
    }

    @Test
    void aGuestThatProcessedEverythingLeavesNoSlot() {
        // Netfront refilled after its last poll: req_prod = rsp_cons + 256, and rsp_cons caught up with rsp_prod.
        NetbackRing.RxRing ring = NetbackRing.parseRx(ioRing(556, 300, 300, 301));
        assertEquals(new NetbackRing.RxRing(256, 556, 300, 301), ring, "the RX section, not the TX one");
        assertEquals(0, ring.unconsumedSlots());
    }

    @Test
    void responsesBeyondTheGuestsConsumerAreUnconsumed() {
        // The guest consumed up to 300 (req_prod 556 - 256); netback produced 305, two of them not yet pushed.
        assertEquals(5, NetbackRing.parseRx(ioRing(556, 303, 305)).unconsumedSlots());
    }

    @Test
    void theGuestsLastResponseEventTightensTheBound() {
        // Refilling fell short (req_prod 550: consumer at least 294), but the guest's last check set rsp_event to 302:
        // it had consumed up to 301, so 4 of the 305 produced are left.
        assertEquals(4, NetbackRing.parseRx(ioRing(550, 303, 305, 302)).unconsumedSlots());
        assertEquals(5, NetbackRing.parseRx(ioRing(556, 303, 305, 250)).unconsumedSlots(), "an older event changes nothing");
    }

    @Test
    void indicesWrapAt32Bits() {
        long reqProd = 100;                       // wrapped: the consumer is at 2^32 - 156
        long rsp = (1L << 32) - 150;              // six responses beyond it
        assertEquals(6, NetbackRing.parseRx(ioRing(reqProd, rsp, rsp, (1L << 32) - 200)).unconsumedSlots());
        assertEquals(6, new NetbackRing.RxRing(256, reqProd, rsp, (1L << 32) - 200).unconsumedSlots());
        assertEquals(2, new NetbackRing.RxRing(256, reqProd, rsp, (1L << 32) - 151).unconsumedSlots(), "an event across the wrap");
    }

    @Test
    void theCountIsBoundedByTheRing() {
        assertEquals(256, new NetbackRing.RxRing(256, 556, 556, 1).unconsumedSlots(), "a full ring");
        assertEquals(-1, new NetbackRing.RxRing(256, 556, 900, 1).unconsumedSlots(), "more than the ring holds: indices that do not fit");
        assertEquals(0, new NetbackRing.RxRing(256, 556, 200, 1).unconsumedSlots(), "never negative");
    }

    @Test
    void aFileWithoutAReceiveRingIsNotRead() {
        assertNull(NetbackRing.parseRx("Queue 0\nTX: nr_ents 256\nreq prod 1 (0) cons 1 (0) event 2 (1)\n"));
        assertNull(NetbackRing.parseRx(""));
    }

    @Test
    void oneQueueIsReadAndSeveralCannotTell(@TempDir Path debugfs) throws Exception {
        assertFalse(NetbackRing.visible(debugfs.resolve("xen-netback")));
        assertEquals(-1, NetbackRing.unconsumedSlots(debugfs, "vif3.0"), "no such vif");
        Path vif = Files.createDirectories(debugfs.resolve("vif3.0"));
        assertEquals(-1, NetbackRing.unconsumedSlots(debugfs, "vif3.0"), "no queue file");
        Files.writeString(vif.resolve("io_ring_q0"), ioRing(556, 303, 305));
        assertTrue(NetbackRing.visible(debugfs));
        assertEquals(5, NetbackRing.unconsumedSlots(debugfs, "vif3.0"));
        assertTrue(NetbackRing.connected(debugfs, "vif3.0"));
        assertFalse(NetbackRing.connected(debugfs, "vif4.0"), "no rings shown: not connected");
        Files.writeString(vif.resolve("io_ring_q1"), ioRing(1000, 746, 747));
        assertEquals(-1, NetbackRing.unconsumedSlots(debugfs, "vif3.0"), "two queues: frames spread by flow, order unknown");
        Files.delete(vif.resolve("io_ring_q1"));
        Files.writeString(vif.resolve("io_ring_q0"), "Queue 0\n");
        assertEquals(-1, NetbackRing.unconsumedSlots(debugfs, "vif3.0"), "a queue without its ring: cannot tell");
    }
}
