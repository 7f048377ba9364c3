package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a restored run's workload logs, and the original run's, and lists every way they show an inconsistent cut;
 * the one set of rules the slice suites, the AM suites and the slice demo check restored slices with.
 */
public final class Consistency {

    /** What the guest tools udpseq and tcpstream log on the console, one line per event. */
    public static final Pattern UDP_TX = Pattern.compile("udp-tx (\\d+)");
    public static final Pattern UDP_RX = Pattern.compile("udp-rx (\\d+) received=(\\d+) lost=(\\d+)");
    public static final Pattern UDP_GAP = Pattern.compile("udp-gap expected=(\\d+) got=(\\d+)");
    public static final Pattern TCP_TX = Pattern.compile("tcp-tx (\\d+) sum=([0-9a-f]+)");
    public static final Pattern TCP_RX = Pattern.compile("tcp-rx (\\d+) sum=([0-9a-f]+) gaps=(\\d+) bad=(\\d+)");

    private Consistency() {
    }

    /**
     * One UDP direction after a restore.
     *
     * @param firstTx    first sequence number the restored sender logged (about its position at the cut, plus one)
     * @param firstRx    first sequence number the restored receiver read
     * @param lastRx     last one it read when checked
     * @param replayed   datagrams sent before the sender's cut and read only after the restore ({@code firstTx - firstRx})
     * @param violations orphans, duplicates and losses, empty for a consistent cut
     */
    public record Udp(String direction, long firstTx, long firstRx, long lastRx, long replayed, List<String> violations) {
    }

    /**
     * The TCP stream after a restore.
     *
     * @param firstTx    first record number the restored sender logged
     * @param lastRx     last record number the restored receiver logged when checked
     * @param sumsCompared how many logged record numbers both sides printed a running checksum for
     * @param violations gaps, damaged records, closed connections and checksum mismatches
     */
    public record Tcp(long firstTx, long lastRx, int sumsCompared, List<String> violations) {
    }

    /**
     * Checks one direction of the restored run, waiting until the receiver has read 20 datagrams the restored sender sent.
     *
     * <p>What "lost" means for UDP here: UDP may drop datagrams, but this slice's network is a loopback switch at a low
     * rate that drops nothing, and the snapshot promises to keep the channel state. So a datagram counts as lost when
     * the sender had sent it before its cut, the receiver had not read it before its cut, and the restored receiver
     * never gets it (the switch should have recorded it and replayed it first). The receiving guest keeps its own "last
     * sequence number" in memory, so the restored receiver itself reports such a loss, or a duplicate, as a
     * {@code udp-gap} line. An orphan (received before the receiver's cut but sent after the sender's) shows up as a
     * duplicate: the restored sender sends that number again and the receiver, whose image already counted it, sees
     * the sequence go backwards.
     *
     * @param originalSender the sender's console before the restore: numbers read after the restore but sent before the
     *                       cut must appear there as sent
     */
    public static Udp udp(String direction, GuestConsole originalSender, GuestConsole sender, GuestConsole receiver, Duration wait)
            throws IOException, InterruptedException {
        long firstTx = Long.parseLong(sender.await(UDP_TX, 0, 0, wait).group(1));
        receiver.await(UDP_RX, 0, firstTx + 20, wait);
        List<String> bad = new ArrayList<>();
        for (Matcher g : receiver.matches(UDP_GAP, 0)) {
            long expected = Long.parseLong(g.group(1));
            long got = Long.parseLong(g.group(2));
            bad.add(got < expected
                    ? direction + ": duplicate/orphan, the restored receiver expected " + expected + " but got " + got
                    : direction + ": lost " + (got - expected) + " datagram(s) from " + expected + " to " + (got - 1));
        }
        List<Matcher> rx = receiver.matches(UDP_RX, 0);
        long firstRx = Long.parseLong(rx.get(0).group(1));
        long prev = firstRx - 1;
        for (Matcher m : rx) {
            long n = Long.parseLong(m.group(1));
            if (n != prev + 1) {
                bad.add(direction + ": receiver read " + n + " after " + prev);
            }
            prev = n;
        }
        // The sender's first restored line may be the datagram it sent just before the cut (sendto, then the cut,
        // then printf), so the receiver may legitimately start one above it; anything higher was received unsent.
        if (firstRx > firstTx + 1) {
            bad.add(direction + ": orphan, the restored receiver starts at " + firstRx + " but the sender's cut was at "
                    + (firstTx - 1));
        }
        Set<Long> sentBefore = new HashSet<>();
        originalSender.matches(UDP_TX, 0).forEach(m -> sentBefore.add(Long.parseLong(m.group(1))));
        for (long n = firstRx; n < firstTx; n++) {
            if (!sentBefore.contains(n)) {
                bad.add(direction + ": datagram " + n + " read after the restore was never logged as sent before the cut");
            }
        }
        return new Udp(direction, firstTx, firstRx, prev, firstTx - firstRx, bad);
    }

    /** Checks the stream of a run from the given offsets, waiting until it has carried three more checksum lines. */
    public static Tcp tcp(GuestConsole sender, long txOffset, GuestConsole receiver, long rxOffset, int every, Duration wait)
            throws IOException, InterruptedException {
        long firstTx = Long.parseLong(sender.await(TCP_TX, txOffset, 0, wait).group(1));
        receiver.await(TCP_RX, rxOffset, firstTx + 3L * every, wait);
        return tcpNow(sender, txOffset, receiver, rxOffset, firstTx);
    }

    /** Checks what a run of the stream logged so far from the given offsets, without waiting (e.g. for a run whose VMs are gone). */
    public static Tcp tcpNow(GuestConsole sender, long txOffset, GuestConsole receiver, long rxOffset, long firstTx)
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
        sender.matches(TCP_TX, txOffset).forEach(m -> txSums.put(Long.parseLong(m.group(1)), m.group(2)));
        int compared = 0;
        long lastRx = 0;
        for (Matcher m : receiver.matches(TCP_RX, rxOffset)) {
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
            bad.add("no record number was logged by both sides, so no checksum could be compared");
        }
        return new Tcp(firstTx, lastRx, compared, bad);
    }
}
