package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When the host stops a live VM: the rule over QEMU's query-migrate answers. */
class LiveStopRuleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofMillis(50);
    private static final Duration EARLY = Duration.ofMillis(200);

    /** A query-migrate answer; mbps 800 moves 100 MB/s, so 5 MB in the 50 ms limit. */
    private static JsonNode migrate(String status, long remaining, long transferred, long rounds) {
        ObjectNode m = JSON.createObjectNode().put("status", status);
        m.putObject("ram").put("total", 128L << 20).put("remaining", remaining).put("transferred", transferred)
                .put("mbps", 800.0).put("dirty-sync-count", rounds);
        return m;
    }

    @Test
    void stopsOnceWhatIsLeftFitsTheDowntimeLimit() {
        assertFalse(QemuSnapshot.timeToStop(migrate("active", 5_000_001, 40_000_000, 1), LIMIT, EARLY));
        assertTrue(QemuSnapshot.timeToStop(migrate("active", 5_000_000, 40_000_000, 1), LIMIT, EARLY));
        assertTrue(QemuSnapshot.timeToStop(migrate("active", 0, 80_000_000, 2), LIMIT, EARLY));
    }

    @Test
    void waitsWhileTheCopyHasNotStarted() {
        assertFalse(QemuSnapshot.timeToStop(migrate("setup", 0, 0, 0), LIMIT, EARLY));
        assertFalse(QemuSnapshot.timeToStop(migrate("active", 0, 0, 1), LIMIT, EARLY), "nothing sent yet");
        assertFalse(QemuSnapshot.timeToStop(JSON.createObjectNode().put("status", "active"), LIMIT, EARLY), "no ram figures");
    }

    @Test
    void stopsAnywayWhenTheCopyDoesNotConverge() {
        JsonNode busy = migrate("active", 60_000_000, 900_000_000, 3);
        assertFalse(QemuSnapshot.timeToStop(busy, LIMIT, EARLY));
        assertTrue(QemuSnapshot.timeToStop(busy, LIMIT, QemuSnapshot.STOP_AFTER));
        assertTrue(QemuSnapshot.timeToStop(migrate("active", 60_000_000, 900_000_000, QemuSnapshot.STOP_AFTER_ROUNDS),
                LIMIT, EARLY));
    }

    @Test
    void neverStopsOutsideAnActiveCopy() {
        // pre-switchover: QEMU paused the VM already; completed or failed: nothing left to stop for.
        for (String s : new String[] {"pre-switchover", "completed", "failed", "cancelled"}) {
            assertFalse(QemuSnapshot.timeToStop(migrate(s, 0, 80_000_000, 9), LIMIT, QemuSnapshot.STOP_AFTER), s);
        }
    }

    @Test
    void aZeroRateStopsOnlyWhenNothingIsLeft() {
        ObjectNode m = (ObjectNode) migrate("active", 4096, 40_000_000, 1);
        ((ObjectNode) m.get("ram")).put("mbps", 0.0);
        assertFalse(QemuSnapshot.timeToStop(m, LIMIT, EARLY));
        ((ObjectNode) m.get("ram")).put("remaining", 0);
        assertTrue(QemuSnapshot.timeToStop(m, LIMIT, EARLY));
    }
}
