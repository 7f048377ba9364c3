package net.vnsnap.host.snapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import net.vnsnap.host.driver.CutHook;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.RestoreResult;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmSpecJson;
import net.vnsnap.host.store.PendingSnapshot;
import net.vnsnap.host.store.SnapshotManifest;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.store.StoreException;
import net.vnsnap.host.store.StoredSnapshot;

/** Takes one VM's snapshot into the store and restores it from there, verifying it first. */
public final class VmSnapshotService {

    /** A stored snapshot and the driver's figures for it. */
    public record Taken(SnapshotManifest manifest, SnapshotResult result) {
    }

    /** A VM restored and paused, waiting for the coordinator to resume it. */
    public record Restored(String vm, RestoreResult result, SnapshotManifest manifest) {
    }

    private final HypervisorDriver driver;
    private final SnapshotStore store;

    public VmSnapshotService(HypervisorDriver driver, SnapshotStore store) {
        this.driver = driver;
        this.store = store;
    }

    /**
     * Snapshots a VM into a new store entry; the request's memory image path is replaced by the store's.
     * On failure nothing is listed in the store and the driver has resumed the VM.
     */
    public Taken snapshot(String vm, SnapshotRequest request) throws DriverException, StoreException {
        try (PendingSnapshot p = store.begin(vm)) {
            SnapshotRequest r = new SnapshotRequest(request.mode(), p.memoryImage(), request.cut(), request.progress(),
                    request.maxBandwidth(), request.downtimeLimit(), request.timeout());
            SnapshotResult res = driver.snapshot(vm, r);
            List<SnapshotStore.FrozenDisk> disks = new ArrayList<>();
            for (DiskSpec d : res.frozenSpec().disks()) {
                disks.add(new SnapshotStore.FrozenDisk(d.id(), d.image(), d.format()));
            }
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("mode", res.mode().name().toLowerCase(java.util.Locale.ROOT));
            attrs.put("cutAt", res.cutAt().toString());
            attrs.put("downtimeMicros", Long.toString(res.downtime().toNanos() / 1000));
            attrs.put("totalMillis", Long.toString(res.total().toMillis()));
            attrs.put("ramBytes", Long.toString(res.ramBytes()));
            attrs.put("hypervisorVersion", res.hypervisorVersion());
            SnapshotManifest m = p.commit(VmSpecJson.toJson(res.frozenSpec()), disks, attrs);
            return new Taken(m, res);
        }
    }

    /** Snapshots a VM with the driver's defaults for bandwidth, downtime limit and timeout. */
    public Taken snapshot(String vm, SnapshotMode mode, CutHook cut) throws DriverException, StoreException {
        return snapshot(vm, SnapshotRequest.of(mode, store.root().resolve("unused"), cut));
    }

    /**
     * Verifies a snapshot (refusing a corrupt one) and recreates its VM, paused, optionally under another name.
     */
    public Restored restore(String snapshotId, String asName, Duration timeout) throws DriverException, StoreException {
        return restore(snapshotId, asName, timeout, UnaryOperator.identity());
    }

    /**
     * Like {@link #restore(String, String, Duration)}, with the stored spec passed through {@code adjust} first:
     * for settings outside the guest's state, such as a control NIC's host port
     * ({@link VmSpec#withHostForwardPort}). The device model must stay the same.
     */
    public Restored restore(String snapshotId, String asName, Duration timeout, UnaryOperator<VmSpec> adjust)
            throws DriverException, StoreException {
        StoredSnapshot s = store.verify(snapshotId);
        VmSpec spec = VmSpecJson.fromJson(s.deviceConfig());
        if (asName != null) {
            spec = spec.withName(asName);
        }
        spec = adjust.apply(spec);
        RestoreResult r = driver.restore(new RestoreRequest(spec, s.memoryImage(), timeout));
        return new Restored(spec.name(), r, s.manifest());
    }
}
