package net.vnsnap.rspec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.vnsnap.rspec.LargeRequest;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.validate.RequestChecker;
import org.junit.jupiter.api.Test;

/**
 * A 10,000-node request: the whole-model read keeps the retained heap within a generous bound, and the
 * streaming read holds one node at a time whatever the document's size.
 */
class LargeRequestTest {
    private static final int NODES = 10_000;
    /** Retained by a 10,000-node model; measured at about 17 MB, so this bound only catches a blow-up. */
    private static final long WHOLE_MODEL_BOUND = 96L << 20;
    /** Extra heap while streaming 10,000 nodes: the parser's buffers and one node, far below the document. */
    private static final long STREAMING_BOUND = 16L << 20;

    @Test
    void tenThousandNodesParseInBoundedMemory() throws Exception {
        byte[] doc = LargeRequest.bytes(NODES);
        long before = usedAfterGc();
        RSpec r = new RSpecReader(64L << 20).read(doc);
        long after = usedAfterGc();
        assertEquals(NODES, r.nodes().size());
        assertEquals(NODES / 2, r.links().size());
        new RequestChecker().check(r);
        long retained = after - before;
        System.out.printf("10,000-node request: %,d bytes of XML, model retains about %,d bytes%n", doc.length, retained);
        assertTrue(retained < WHOLE_MODEL_BOUND, "model of 10,000 nodes retains " + retained + " bytes");
        Reference.reachabilityFence(r);
    }

    @Test
    void streamingReadHoldsOneNodeAtATime() throws Exception {
        AtomicInteger nodes = new AtomicInteger();
        AtomicInteger links = new AtomicInteger();
        AtomicLong peak = new AtomicLong();
        long base = usedAfterGc();
        RSpec head = new RSpecReader(64L << 20).stream(LargeRequest.stream(NODES), p -> {
            if (p instanceof Node n) {
                if (nodes.incrementAndGet() % 2_500 == 0) {
                    peak.accumulateAndGet(usedAfterGc() - base, Math::max);
                }
                assertEquals("vm" + (nodes.get() - 1), n.clientId());
            } else {
                links.incrementAndGet();
            }
        });
        assertEquals(NODES, nodes.get());
        assertEquals(NODES / 2, links.get());
        assertTrue(head.parts().isEmpty(), "the streaming read returns only the root");
        System.out.printf("streaming 10,000 nodes: peak extra heap about %,d bytes%n", peak.get());
        assertTrue(peak.get() < STREAMING_BOUND, "streaming held " + peak.get() + " bytes");
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
