package net.vnsnap.geni.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import net.vnsnap.geni.testbed.GuestConsole;

/**
 * Reads the workload's console logs before and after a restore and says whether the cut was consistent: for UDP no
 * orphan, loss or duplicate; for TCP an unbroken stream whose running checksums agree on both ends.
 */
final class WorkloadChecks {

    private WorkloadChecks() {
    }

    /**
     * One UDP direction across the restore.
     *
     * @param sentAtCut  the sender's last number at its cut (the restored sender's first logged number, minus one)
     * @param ranOnTo    the last number the receiver read before the restore (the slice ran on past the cut)
     * @param resumedAt  the first number the restored receiver read
     * @param readTo     the last number the restored receiver read when checked
     * @param replayed   datagrams in flight at the cut, kept with the snapshot and delivered after the restore
     * @param violations every orphan, loss and duplicate, empty for a consistent cut
     */
    record Udp(String direction, long sentAtCut, long ranOnTo, long resumedAt, long readTo, long replayed, List<String> violations) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", direction);
            m.put("sent_at_cut", sentAtCut);
            m.put("ran_on_to", ranOnTo);
            m.put("resumed_at", resumedAt);
            m.put("read_to", readTo);
            m.put("replayed", replayed);
            m.put("violations", violations);
            return m;
        }
    }

    /**
     * The TCP stream of a run.
     *
     * @param firstTx      first record number the sender logged in the run
     * @param lastRx       last record number the receiver logged when checked
     * @param sumsCompared how many record numbers both sides logged a running checksum for
     * @param violations   gaps, damaged records, closed connections and checksum mismatches
     */
    record Tcp(String run, long firstTx, long lastRx, int sumsCompared, List<String> violations) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run", run);
            m.put("first_sent", firstTx);
            m.put("last_received", lastRx);
            m.put("checksums_compared", sumsCompared);
            m.put("violations", violations);
            return m;
        }
    }

    /**
     * Checks one UDP direction of the restored run, waiting until its receiver has read 20 datagrams the restored sender
     * sent. A loss is a datagram sent before the sender's cut, unread at the receiver's cut and never read after the
     * restore (the switch should have recorded it); the restored receiver remembers its last number, so it reports a
     * loss or a duplicate itself as a {@code udp-gap} line. An orphan (read before the receiver's cut, sent after the
     * sender's) comes back as a duplicate when the restored sender sends that number again.
     *
     * @param originalSender   the sender's console before the restore
     * @param originalReceiver the receiver's console before the restore
     */
    static Udp udp(String direction, GuestConsole originalSender, GuestConsole originalReceiver, GuestConsole sender,
            GuestConsole receiver, Duration wait) throws IOException, InterruptedException {
        long firstTx = Long.parseLong(sender.await(GuestWorkload.UDP_TX, 0, 0, wait).group(1));
        receiver.await(GuestWorkload.UDP_RX, 0, firstTx + 20, wait);
        List<String> bad = new ArrayList<>();
        for (Matcher g : receiver.matches(GuestWorkload.UDP_GAP, 0)) {
            long expected = Long.parseLong(g.group(1));
            long got = Long.parseLong(g.group(2));
            bad.add(got < expected ? "duplicate or orphan: the restored receiver expected " + expected + " but got " + got
                    : "lost " + (got - expected) + " datagram(s) from " + expected + " to " + (got - 1));
        }
        List<Matcher> rx = receiver.matches(GuestWorkload.UDP_RX, 0);
        long firstRx = Long.parseLong(rx.get(0).group(1));
        long prev = firstRx - 1;
        for (Matcher m : rx) {
            long n = Long.parseLong(m.group(1));
            if (n != prev + 1) {
                bad.add("the restored receiver read " + n + " after " + prev);
            }
            prev = n;
        }
        // The sender may have sent its first restored number just before the cut and logged it after (sendto, cut,
        // printf), so the receiver may start one above; anything higher was read but never sent.
        if (firstRx > firstTx + 1) {
            bad.add("orphan: the restored receiver starts at " + firstRx + " but the sender's cut was at " + (firstTx - 1));
        }
        Set<Long> sentBefore = new HashSet<>();
        originalSender.matches(GuestWorkload.UDP_TX, 0).forEach(m -> sentBefore.add(Long.parseLong(m.group(1))));
        for (long n = firstRx; n < firstTx; n++) {
            if (!sentBefore.contains(n)) {
                bad.add("datagram " + n + " read after the restore was never logged as sent before the cut");
            }
        }
        long ranOn = originalReceiver.last(GuestWorkload.UDP_RX, 0).map(m -> Long.parseLong(m.group(1))).orElse(-1L);
        return new Udp(direction, firstTx - 1, ranOn, firstRx, prev, firstTx - firstRx, bad);
    }

    /** UDP gaps the original run logged from {@code offset} on (during the snapshot and the run after it). */
    static List<String> liveGaps(GuestConsole receiver, long offset) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : receiver.lines(offset)) {
            if (l.contains("udp-gap")) {
                out.add(l.trim());
            }
        }
        return out;
    }

    /** Checks a run of the stream from the given offsets, waiting until it carried three more checksum lines. */
    static Tcp tcp(String run, GuestConsole sender, long txOffset, GuestConsole receiver, long rxOffset, Duration wait)
            throws IOException, InterruptedException {
        long firstTx = Long.parseLong(sender.await(GuestWorkload.TCP_TX, txOffset, 0, wait).group(1));
        receiver.await(GuestWorkload.TCP_RX, rxOffset, firstTx + 3L * GuestWorkload.TCP_EVERY, wait);
        return tcpNow(run, sender, txOffset, receiver, rxOffset, firstTx);
    }

    /** Checks what a run of the stream logged so far, without waiting (for an original run whose VMs are gone). */
    static Tcp tcpNow(String run, GuestConsole sender, long txOffset, GuestConsole receiver, long rxOffset, long firstTx)
            throws IOException {
        List<String> bad = new ArrayList<>();
        for (String l : receiver.lines(rxOffset)) {
            if (l.contains("tcp-rx GAP") || l.contains("CHECKSUM-ERROR") || l.contains("tcp-rx closed")) {
                bad.add("receiver: " + l.trim());
            }
        }
        for (String l : sender.lines(txOffset)) {
            if (l.contains("tcp-tx error")) {
                bad.add("sender: " + l.trim());
            }
        }
        Map<Long, String> txSums = new LinkedHashMap<>();
        sender.matches(GuestWorkload.TCP_TX, txOffset).forEach(m -> txSums.put(Long.parseLong(m.group(1)), m.group(2)));
        int compared = 0;
        long lastRx = 0;
        for (Matcher m : receiver.matches(GuestWorkload.TCP_RX, rxOffset)) {
            long n = Long.parseLong(m.group(1));
            lastRx = n;
            String tx = txSums.get(n);
            if (tx != null) {
                compared++;
                if (!tx.equals(m.group(2))) {
                    bad.add("running checksum at record " + n + ": sender " + tx + ", receiver " + m.group(2));
                }
            }
        }
        if (compared == 0) {
            bad.add("no record number was logged by both ends, so no checksum could be compared");
        }
        return new Tcp(run, firstTx, lastRx, compared, bad);
    }
}
