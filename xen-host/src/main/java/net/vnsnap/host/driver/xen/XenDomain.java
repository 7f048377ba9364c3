package net.vnsnap.host.driver.xen;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.xen.net.VifRelay;

/** One domU the driver manages: its domid, devices, vif relays and whether it waits for its first start or a resume. */
final class XenDomain {
    final String name;
    final int domid;
    final VmSpec spec;
    final List<VifRelay> relays;
    /** Serializes snapshots, pauses and resumes of this domain. */
    final ReentrantLock operation = new ReentrantLock();
    /** Created (libxl leaves it paused) and not yet started. */
    volatile boolean neverStarted;
    /** Restored and paused until the coordinator resumes the slice. */
    volatile boolean restoredPaused;
    /** Numbers the frozen disk copies of successive snapshots. */
    private int snapshotSeq;

    XenDomain(String name, int domid, VmSpec spec, List<VifRelay> relays) {
        this.name = name;
        this.domid = domid;
        this.spec = spec;
        this.relays = List.copyOf(relays);
    }

    synchronized int nextSnapshotSeq() {
        return ++snapshotSeq;
    }

    void stopRelays() {
        for (VifRelay r : relays) {
            r.close();
        }
    }
}
