package net.vnsnap.am.plugin.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Status never shows a snapshot's progress going backwards, even when the hosts' summed figures dip. */
class ShownPercentTest {

    @Test
    void aDipInTheHostsFiguresIsNotShownAndLaterGainsAre() {
        AtomicInteger shown = new AtomicInteger();
        List<Integer> out = new ArrayList<>();
        // As seen in the slice demo (cow): 0, 17, 58, then 57.6 when one host reported its bytes on disk.
        for (double p : new double[] {0, 17.2, 58.9, 57.6, 80.1, 150, -3}) {
            out.add(SnapshotPlugin.shownPercent(shown, p));
        }
        assertEquals(List.of(0, 17, 58, 58, 80, 100, 100), out);
    }

    @Test
    void eachOperationStartsFromZero() {
        assertEquals(3, SnapshotPlugin.shownPercent(new AtomicInteger(), 3.9));
    }
}
