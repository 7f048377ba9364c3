package net.vnsnap.host.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.vnsnap.host.driver.Capabilities;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.HypervisorDriver;
import net.vnsnap.host.driver.NoSuchVmException;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.RestoreResult;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;

/** An in-memory hypervisor that obeys the driver contract: pauses around the cut hook, writes small images, resumes on failure. */
final class FakeDriver implements HypervisorDriver {
    /** One fake VM. */
    static final class Vm {
        volatile VmSpec spec;
        volatile VmState state = VmState.CREATED;

        Vm(VmSpec spec) {
            this.spec = spec;
        }
    }

    final Map<String, Vm> vms = new ConcurrentHashMap<>();
    /** When each snapshot paused its VM, by VM name, in the order taken. */
    final Map<String, List<Instant>> pausedAt = new ConcurrentHashMap<>();
    final List<String> restored = java.util.Collections.synchronizedList(new ArrayList<>());
    /** When each VM was last resumed. */
    final Map<String, Instant> resumedAt = new ConcurrentHashMap<>();
    private final Clock clock;
    volatile Set<SnapshotMode> modes = EnumSet.of(SnapshotMode.COW, SnapshotMode.STOP);
    /** Bytes each memory image gets. */
    volatile int imageBytes = 4096;
    /** What the agent should give VMs from an image's disk. */
    volatile WritableDisk writableDisk = WritableDisk.QCOW2_OVERLAY;

    FakeDriver(Clock clock) {
        this.clock = clock;
    }

    @Override
    public WritableDisk writableDisk() {
        return writableDisk;
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities("fake", "1.0", "none", modes);
    }

    @Override
    public void create(VmSpec spec) throws DriverException {
        if (vms.putIfAbsent(spec.name(), new Vm(spec)) != null) {
            throw new DriverException("exists: " + spec.name());
        }
    }

    private Vm get(String vm) throws NoSuchVmException {
        Vm v = vms.get(vm);
        if (v == null) {
            throw new NoSuchVmException(vm);
        }
        return v;
    }

    @Override
    public void start(String vm) throws DriverException {
        get(vm).state = VmState.RUNNING;
    }

    @Override
    public void pause(String vm) throws DriverException {
        get(vm).state = VmState.PAUSED;
    }

    @Override
    public void resume(String vm) throws DriverException {
        get(vm).state = VmState.RUNNING;
        resumedAt.put(vm, clock.instant());
    }

    @Override
    public void destroy(String vm) {
        vms.remove(vm);
    }

    @Override
    public VmState state(String vm) throws DriverException {
        return get(vm).state;
    }

    @Override
    public VmSpec spec(String vm) throws DriverException {
        return get(vm).spec;
    }

    @Override
    public Optional<Path> consoleLog(String vm) throws DriverException {
        get(vm);
        return Optional.empty();
    }

    @Override
    public SnapshotResult snapshot(String vm, SnapshotRequest request) throws DriverException {
        Vm v = get(vm);
        if (!modes.contains(request.mode())) {
            throw new UnsupportedModeException("fake driver refuses " + request.mode());
        }
        v.state = VmState.PAUSED;
        Instant paused = clock.instant();
        pausedAt.computeIfAbsent(vm, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(paused);
        try {
            request.cut().atCut(vm, paused);
        } catch (Exception e) {
            v.state = VmState.RUNNING;
            throw new SnapshotFailedException("cut hook of " + vm + " failed: " + e.getMessage(), VmState.RUNNING, e);
        }
        try {
            Files.write(request.memoryImage(), new byte[imageBytes]);
        } catch (IOException e) {
            v.state = VmState.RUNNING;
            throw new SnapshotFailedException("cannot write " + request.memoryImage(), VmState.RUNNING, e);
        }
        request.progress().progress(vm, imageBytes, (long) v.spec.memoryMiB() << 20, "completed");
        v.state = VmState.RUNNING;
        Map<String, Duration> phases = new LinkedHashMap<>();
        phases.put("pause", Duration.ofMillis(1));
        phases.put("save", Duration.ofMillis(2));
        // The fake clock stands still while the fake works, so its 3 ms of steps are placed to end at this instant.
        return new SnapshotResult(request.mode(), paused, Duration.ofMillis(1), Duration.ofMillis(3), imageBytes,
                (long) v.spec.memoryMiB() << 20, v.spec, "1.0", phases, paused.minus(Duration.ofMillis(3)));
    }

    @Override
    public RestoreResult restore(RestoreRequest request) throws DriverException {
        if (!Files.isRegularFile(request.memoryImage())) {
            throw new RestoreFailedException("no image " + request.memoryImage(), null);
        }
        create(request.spec());
        vms.get(request.spec().name()).state = VmState.RESTORED_PAUSED;
        restored.add(request.spec().name());
        return new RestoreResult(Duration.ofMillis(5), request.spec());
    }

    @Override
    public void close() {
        vms.clear();
    }
}
