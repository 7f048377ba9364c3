package net.vnsnap.am.testkit;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A one-shot barrier a fake host call stops at until the test releases it; the test can wait for the call to arrive. */
public final class Gate {
    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    /** Called by the fake: signals arrival and waits (at most a minute, so a broken test cannot hang the build). */
    void pass() {
        arrived.countDown();
        try {
            released.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until a call has reached the gate. */
    public void awaitArrival() throws InterruptedException {
        if (!arrived.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no call reached the gate within 30 s");
        }
    }

    public void release() {
        released.countDown();
    }
}
