package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;

/** One running QEMU process with its QMP connection and the VM's current disk layering. */
final class QemuVm {
    final QemuInstancePaths paths;
    final Process process;
    final QmpClient qmp;
    final QemuVersion version;
    /** Serialises snapshot, pause and resume so a snapshot's pause is never undone halfway. */
    final ReentrantLock operation = new ReentrantLock();
    /** Each disk id's active block node; it changes when a snapshot puts an overlay on top. */
    private final Map<String, String> activeNode = new HashMap<>();
    private VmSpec spec;
    /** Counts overlays so each snapshot's overlay file and node get fresh names. */
    private int overlaySeq;
    /** Serialises user-list updates: the guest's port takes one host connection at a time. */
    final Object accessExchange = new Object();
    /** True from a restore until the first resume, so state() can tell the coordinator it is waiting. */
    volatile boolean restoredPaused;

    QemuVm(VmSpec spec, QemuInstancePaths paths, Process process, QmpClient qmp, QemuVersion version) {
        this.spec = spec;
        this.paths = paths;
        this.process = process;
        this.qmp = qmp;
        this.version = version;
        for (DiskSpec d : spec.disks()) {
            activeNode.put(d.id(), d.id());
        }
    }

    String name() {
        return spec.name();
    }

    synchronized VmSpec spec() {
        return spec;
    }

    synchronized String activeNode(String diskId) {
        return activeNode.get(diskId);
    }

    synchronized int nextOverlaySeq() {
        return ++overlaySeq;
    }

    /** Records that a disk now writes to a new overlay file through a new node. */
    synchronized void overlayTaken(String diskId, String node, DiskSpec overlay) {
        activeNode.put(diskId, node);
        List<DiskSpec> disks = spec.disks().stream().map(d -> d.id().equals(diskId) ? overlay : d).toList();
        spec = spec.withDisks(disks);
    }

    /** Records the user list the guest has applied, so snapshots and {@code spec()} carry it. */
    synchronized void accessUpdated(GuestAccess access) {
        spec = spec.withAccess(access);
    }

    /** Maps QEMU's run state onto the driver's; a dead process is SHUTOFF. */
    VmState state(java.time.Duration timeout) {
        if (!process.isAlive() || !qmp.isOpen()) {
            return VmState.SHUTOFF;
        }
        try {
            JsonNode st = qmp.execute("query-status", null, timeout);
            return switch (st.path("status").asText()) {
                case "running" -> VmState.RUNNING;
                case "prelaunch" -> VmState.CREATED;
                case "inmigrate" -> VmState.INCOMING;
                case "internal-error", "guest-panicked", "io-error" -> VmState.CRASHED;
                case "shutdown" -> VmState.SHUTOFF;
                default -> restoredPaused ? VmState.RESTORED_PAUSED : VmState.PAUSED;
            };
        } catch (QmpException e) {
            return process.isAlive() ? VmState.CRASHED : VmState.SHUTOFF;
        }
    }

    /** The last lines QEMU wrote to its stderr, for error messages. */
    String qemuLogTail() {
        try {
            List<String> lines = Files.readAllLines(paths.qemuLog(), StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no QEMU log)";
        }
    }

    void kill() {
        qmp.close();
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
