package net.vnsnap.host.vswitch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The control API of one host's virtual switch, each call returning once it is in force on the switch thread. */
public final class VirtualSwitch implements AutoCloseable {
    // Snapshot use (docs/vswitch.md): advanceEpoch at each VM's cut while it is paused; drainRecorded once
    // every VM of the slice has cut. Restore: prepareRestore with the snapshot's epoch and recorded frames,
    // start the VM, resume: the recorded frames reach it before any new traffic.

    private final String name;
    private final SwitchConfig config;
    private final SwitchEngine engine;
    private final Thread thread;

    private VirtualSwitch(String name, SwitchConfig config) throws IOException {
        this.name = name;
        this.config = config;
        this.engine = new SwitchEngine(name, config);
        this.thread = config.threadFactory().newThread(engine);
        thread.setName("vswitch-" + name);
    }

    /** Opens the tunnel socket (if configured) and starts the selector thread. */
    public static VirtualSwitch start(String name, SwitchConfig config) throws IOException {
        VirtualSwitch s = new VirtualSwitch(name, config);
        s.thread.start();
        return s;
    }

    public String name() {
        return name;
    }

    /** The local address of the tunnel socket, to give to the other hosts; null without tunnels. */
    public InetSocketAddress tunnelAddress() {
        return call(() -> {
            try {
                return engine.tunnelAddress();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Creates a segment whose frames travel between hosts under {@code vni} (agreed by every host). */
    public void createSegment(SegmentId id, int vni, ColourPolicy policy) {
        run(() -> engine.createSegment(id, vni, policy));
    }

    /** Removes a segment with all its ports and tunnel peers. */
    public void removeSegment(SegmentId id) {
        run(() -> engine.removeSegment(id));
    }

    /**
     * Adds a VM port bound to {@code bind} (port 0 picks one) and returns the bound address: QEMU's
     * {@code -netdev dgram} remote. The VM's own address is learned from its first datagram.
     */
    public InetSocketAddress addPort(PortId id, InetSocketAddress bind) {
        return addPort(id, bind, null);
    }

    /**
     * As {@link #addPort(PortId, InetSocketAddress)}, with the VM's {@code -netdev dgram} local address known
     * in advance so frames reach it before it has sent anything.
     */
    public InetSocketAddress addPort(PortId id, InetSocketAddress bind, InetSocketAddress vm) {
        return call(() -> engine.addPort(id, bind, vm));
    }

    /** Removes a port, closing its socket and freeing its held and recorded frames. */
    public void removePort(PortId id) {
        run(() -> engine.removePort(id));
    }

    /** Tells the port where its VM listens (it is re-learned anyway from every datagram the VM sends). */
    public void setPeer(PortId id, InetSocketAddress vm) {
        run(() -> engine.setPeer(id, vm));
    }

    /** Connects segment {@code id.segment()} to the switch listening at {@code remote}, as port {@code id}. */
    public void addTunnelPeer(PortId id, InetSocketAddress remote) {
        run(() -> engine.addTunnelPeer(id, remote));
    }

    /** The port's current snapshot epoch. */
    public int epoch(PortId id) {
        return call(() -> engine.epoch(id));
    }

    /**
     * The VM's cut: frames the paused VM already sent are forwarded with the old epoch, then the port moves to
     * {@code newEpoch} (must be larger, at most 2^24-1) and held frames it now admits are delivered in order.
     * Returns when done; costs one hand-off to the selector thread.
     */
    public void advanceEpoch(PortId id, int newEpoch) {
        run(() -> engine.advanceEpoch(id, newEpoch));
    }

    /**
     * At the port's VM's cut, before {@link #advanceEpoch} to {@code newEpoch}: frames this switch delivered to the port
     * before the cut that the hypervisor still held in its queues (in no image of the VM) are recorded, oldest first,
     * as channel state of snapshot {@code newEpoch}, ahead of the frames the cut records. They are not sent again: the
     * running VM receives them from those queues.
     */
    public void recordUndelivered(PortId id, int newEpoch, List<byte[]> frames) {
        run(() -> engine.recordUndelivered(id, newEpoch, frames));
    }

    /**
     * The port's VM is about to pause for its cut: on a HOLD_AND_RECORD segment, frames for it wait in the switch
     * until {@link #advanceEpoch} (which records the pre-cut ones as channel state) and then, coloured, until
     * {@link #endPause} (the VM runs again), so none is left unread in the socket of the paused VM, where it would be
     * in neither the VM's image nor the channel state, and none overflows that socket (the kernel drops datagrams
     * beyond its buffer silently). Other policies record nothing, so there it changes nothing.
     */
    public void beginPause(PortId id) {
        run(() -> engine.beginPause(id));
    }

    /**
     * The port's VM runs again after its cut, or no cut followed a {@link #beginPause} (the snapshot failed): the
     * frames that waited go out in arrival order. Does nothing if the port was not paused.
     */
    public void endPause(PortId id) {
        run(() -> engine.endPause(id));
    }

    /**
     * Removes and returns, in arrival order, the frames recorded at port {@code id} as channel state of
     * snapshot {@code epoch}: sent before their sender's cut, delivered after this port's cut. Call it once every
     * sender has cut; frames recorded later can be drained by a later call.
     */
    public List<RecordedFrame> drainRecorded(PortId id, int epoch) {
        return call(() -> engine.drainRecorded(id, epoch));
    }

    /**
     * Readies a port for a VM restored from snapshot {@code epoch}: sets the epoch (it may go back), discards
     * frames still held from the abandoned run, queues {@code replay} (the snapshot's recorded frames, in order)
     * and suspends delivery to the VM until {@link #resume}.
     */
    public void prepareRestore(PortId id, int epoch, List<byte[]> replay) {
        List<byte[]> copy = replay.stream().map(byte[]::clone).toList();
        run(() -> engine.prepareRestore(id, epoch, copy));
    }

    /** Ends the restore suspension: replays the recorded frames first, then frames that arrived meanwhile. */
    public void resume(PortId id) {
        run(() -> engine.resume(id));
    }

    /** A consistent reading of every port's counters. */
    public SwitchCounters counters() {
        return call(engine::counters);
    }

    /** A reading of one port's counters. */
    public PortCounters counters(PortId id) {
        return call(() -> engine.counters(id));
    }

    /** Stops the selector thread and closes every socket. */
    @Override
    public void close() {
        engine.running = false;
        engine.selector().wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(config.commandTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The selector thread's id, so tests can read its allocation counter. */
    long selectorThreadId() {
        return thread.getId();
    }

    /** For tests: queues {@code r} on the selector thread without waiting (e.g. to stall it on purpose). */
    void post(Runnable r) {
        engine.commands.add(new FutureTask<>(r, null));
        engine.selector().wakeup();
    }

    /** For tests: control calls queued but not yet started. */
    int pendingCommands() {
        return engine.commands.size();
    }

    private void run(Runnable r) {
        call(() -> {
            r.run();
            return null;
        });
    }

    private <T> T call(java.util.concurrent.Callable<T> c) {
        if (Thread.currentThread() == thread) {
            try {
                return c.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (!engine.running) {
            throw new IllegalStateException("switch " + name + " is closed");
        }
        FutureTask<T> task = new FutureTask<>(c);
        engine.commands.add(task);
        engine.selector().wakeup();
        if (!engine.running) {
            // close() may have raced with the add: make sure nobody waits for a task that will never run.
            task.cancel(false);
        }
        try {
            return task.get(config.commandTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (CancellationException e) {
            throw new IllegalStateException("switch " + name + " closed during the call", e);
        } catch (TimeoutException e) {
            task.cancel(false);
            throw new IllegalStateException("switch " + name + " did not answer within " + config.commandTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for switch " + name, e);
        }
    }
}
