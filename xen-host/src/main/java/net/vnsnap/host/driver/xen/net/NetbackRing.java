package net.vnsnap.host.driver.xen.net;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The receive side of a vif's shared rings as netback shows them in debugfs ({@code xen-netback/<vif>/io_ring_q<N>}),
 * read to learn how many slots of a domU's receive ring hold frames its guest had not processed.
 *
 * <p>Netfront keeps its receive ring full: after every poll it posts buffers until {@code req_prod - rsp_cons} equals
 * the ring's size. So once the guest has stopped (suspended for a cut), its consumer index is {@code req_prod - size},
 * and the responses netback produced beyond it ({@code rsp_prod_pvt - rsp_cons}) carry frames the guest never took in.
 * A restored netfront discards its old ring, so those frames are in no image: they are channel state.
 */
public final class NetbackRing {
    /** Where the Linux netback driver publishes its rings when debugfs is mounted at its usual place. */
    public static final Path DEBUGFS = Path.of("/sys/kernel/debug/xen-netback");

    private static final Pattern RX_HEADER = Pattern.compile("^RX: nr_ents (\\d+)$", Pattern.MULTILINE);
    private static final Pattern REQ = Pattern.compile("^req prod (\\d+) ", Pattern.MULTILINE);
    private static final Pattern RSP = Pattern.compile("^rsp prod (\\d+) \\(base\\) pvt (\\d+) \\(-?\\d+\\) event (\\d+) ",
            Pattern.MULTILINE);

    /**
     * One queue's receive ring: its size, the guest's request producer, netback's private response producer and the
     * response event the guest last set ({@code rsp_cons + 1} at its last check for more work).
     */
    public record RxRing(int entries, long requestsProduced, long responsesProduced, long responseEvent) {

        /**
         * Slots holding responses the guest had not consumed (0 to {@link #entries}), or -1 when the indices do not
         * fit together. The consumer is at least {@code req_prod - entries} (netfront refills after every poll) and at
         * least {@code rsp_event - 1}; the later of the two is taken. Ring indices are 32-bit and wrap.
         */
        public int unconsumedSlots() {
            int fromRefill = (int) requestsProduced - entries;
            int fromEvent = (int) responseEvent - 1;
            int consumerAtLeast = fromEvent - fromRefill > 0 ? fromEvent : fromRefill;
            int unconsumed = (int) responsesProduced - consumerAtLeast;
            if (unconsumed > entries) {
                return -1;
            }
            return Math.max(0, unconsumed);
        }
    }

    private NetbackRing() {
    }

    /** Parses the receive ring out of one {@code io_ring_q<N>} file's text; null when it has none (not connected). */
    public static RxRing parseRx(String ioRing) {
        Matcher header = RX_HEADER.matcher(ioRing);
        if (!header.find()) {
            return null;
        }
        Matcher req = REQ.matcher(ioRing);
        Matcher rsp = RSP.matcher(ioRing);
        if (!req.find(header.end()) || !rsp.find(header.end())) {
            return null;
        }
        return new RxRing(Integer.parseInt(header.group(1)), Long.parseLong(req.group(1)), Long.parseLong(rsp.group(2)),
                Long.parseLong(rsp.group(3)));
    }

    /**
     * The unconsumed slots of {@code ifname}'s receive ring, or -1 when netback does not show them (debugfs not
     * mounted, a kernel without it, the vif gone or not connected, indices that do not fit) or the vif has several
     * queues: netback spreads frames over them by flow, so which frames sit in which ring cannot be told.
     */
    public static int unconsumedSlots(Path debugfs, String ifname) {
        Path dir = debugfs.resolve(ifname);
        RxRing ring = null;
        int queues = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "io_ring_q*")) {
            for (Path f : files) {
                ring = parseRx(Files.readString(f));
                if (ring == null) {
                    return -1;
                }
                queues++;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return queues == 1 ? ring.unconsumedSlots() : -1;
    }

    /**
     * Whether netback shows {@code ifname}'s receive ring: it adds the ring to debugfs as it connects the frontend's
     * rings, just before it marks the vif connected; until then it drops every frame sent on the vif.
     */
    public static boolean connected(Path debugfs, String ifname) {
        try {
            return parseRx(Files.readString(debugfs.resolve(ifname).resolve("io_ring_q0"))) != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether netback's rings can be read at all here (a hint for operators; see docs/xen-driver.md). */
    public static boolean visible(Path debugfs) {
        return Files.isDirectory(debugfs);
    }
}
