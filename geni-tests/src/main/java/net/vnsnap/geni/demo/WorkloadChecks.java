package net.vnsnap.geni.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.geni.testbed.Consistency;
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
     * Checks one UDP direction of the restored run with the shared rules ({@link Consistency#udp}) and adds how far the
     * original receiver ran on past the cut.
     *
     * @param originalSender   the sender's console before the restore
     * @param originalReceiver the receiver's console before the restore
     */
    static Udp udp(String direction, GuestConsole originalSender, GuestConsole originalReceiver, GuestConsole sender,
            GuestConsole receiver, Duration wait) throws IOException, InterruptedException {
        Consistency.Udp u = Consistency.udp(direction, originalSender, sender, receiver, wait);
        long ranOn = originalReceiver.last(GuestWorkload.UDP_RX, 0).map(m -> Long.parseLong(m.group(1))).orElse(-1L);
        return new Udp(direction, u.firstTx() - 1, ranOn, u.firstRx(), u.lastRx(), u.replayed(), u.violations());
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
        return of(run, Consistency.tcp(sender, txOffset, receiver, rxOffset, GuestWorkload.TCP_EVERY, wait));
    }

    /** Checks what a run of the stream logged so far, without waiting (for an original run whose VMs are gone). */
    static Tcp tcpNow(String run, GuestConsole sender, long txOffset, GuestConsole receiver, long rxOffset, long firstTx)
            throws IOException {
        return of(run, Consistency.tcpNow(sender, txOffset, receiver, rxOffset, firstTx));
    }

    private static Tcp of(String run, Consistency.Tcp t) {
        return new Tcp(run, t.firstTx(), t.lastRx(), t.sumsCompared(), t.violations());
    }
}
