package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition that the switch's thread makes true, failing the test after five seconds. */
final class Await {
    private Await() {
    }

    static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what.get());
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** Waits until the switch has received {@code frames} datagrams on all ports together. */
    static void framesIn(VirtualSwitch sw, long frames) {
        until(() -> sw.counters().framesIn() >= frames, () -> frames + " frames into " + sw.name()
                + ", have " + sw.counters().framesIn());
    }
}
