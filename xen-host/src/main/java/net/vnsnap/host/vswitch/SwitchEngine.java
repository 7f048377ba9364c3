package net.vnsnap.host.vswitch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import net.vnsnap.host.vswitch.frame.Ethernet;
import net.vnsnap.host.vswitch.frame.FramePool;
import net.vnsnap.host.vswitch.learn.MacTable;
import net.vnsnap.host.vswitch.tunnel.TunnelHeader;

/** The switch's data path and state, run entirely by one selector thread that also runs the control calls. */
final class SwitchEngine implements Runnable {
    private static final Logger LOG = LogManager.getLogger(SwitchEngine.class);

    /** Most datagrams read from a VM's socket at its cut; a paused VM leaves far fewer (socket buffer size). */
    private static final int CUT_DRAIN_LIMIT = 1 << 16;

    /** What to do with one frame for one VM port, given the colours of sender and receiver. */
    private enum Verdict { DELIVER, DELIVER_AND_RECORD, HOLD, DROP }

    private final String name;
    private final SwitchConfig config;
    private final Selector selector;
    /**
     * Shared with control threads: tasks to run on the selector thread between selects. Happens-before: a
     * caller's writes precede its task (queue hand-off) and the task's effects precede the caller's
     * {@code FutureTask.get} return. Only this queue and {@link #running} are touched by other threads, so
     * every other field is thread-confined and needs no lock.
     */
    final ConcurrentLinkedQueue<FutureTask<?>> commands = new ConcurrentLinkedQueue<>();
    /** Shared with control threads: cleared by close(). */
    volatile boolean running = true;

    private final FramePool pool;
    /** Receive buffer for every socket, big enough for any UDP payload so oversize frames are detected, not cut. */
    private final ByteBuffer rx = ByteBuffer.allocateDirect(65_536);
    /** Scratch for building tunnel datagrams and replaying byte-array frames. */
    private final ByteBuffer tx;
    private final DatagramChannel tunnel;
    private final Map<SegmentId, Segment> segments = new HashMap<>();
    /** The segments again as an array, searched by VNI without boxing (a host carries few segments). */
    private Segment[] segmentArray = new Segment[0];
    private final Map<PortId, Port> ports = new HashMap<>();
    private final long[] switchDrops = new long[DropReason.values().length];
    /** Bound once so select() does not allocate a lambda per wake-up. */
    private final Consumer<SelectionKey> onReady = this::onReady;
    /** Attachment that marks the tunnel socket's key. */
    private final Object tunnelMark = new Object();

    SwitchEngine(String name, SwitchConfig config) throws IOException {
        this.name = name;
        this.config = config;
        this.pool = new FramePool(config.poolSlots(), config.maxFrameBytes());
        this.tx = ByteBuffer.allocateDirect(TunnelHeader.BYTES + config.maxFrameBytes());
        this.selector = Selector.open();
        if (config.tunnelBind() != null) {
            tunnel = openSocket(config.tunnelBind());
            tunnel.register(selector, SelectionKey.OP_READ, tunnelMark);
        } else {
            tunnel = null;
        }
    }

    Selector selector() {
        return selector;
    }

    InetSocketAddress tunnelAddress() throws IOException {
        return tunnel == null ? null : (InetSocketAddress) tunnel.getLocalAddress();
    }

    @Override
    public void run() {
        try {
            while (running) {
                try {
                    selector.select(onReady);
                } catch (RuntimeException e) {
                    // A bug on one frame must not take the whole host's network down with it.
                    LOG.error("switch {}: frame handling failed", name, e);
                }
                runCommands();
            }
        } catch (IOException | ClosedSelectorException e) {
            LOG.error("switch {} stopped: {}", name, e.toString());
        } finally {
            running = false;
            shutdown();
        }
    }

    private void runCommands() {
        FutureTask<?> t;
        while ((t = commands.poll()) != null) {
            t.run();
        }
    }

    private void shutdown() {
        for (Port p : ports.values()) {
            closeQuietly(p.channel);
        }
        closeQuietly(tunnel);
        try {
            selector.close();
        } catch (IOException e) {
            LOG.warn("closing selector: {}", e.toString());
        }
        FutureTask<?> t;
        while ((t = commands.poll()) != null) {
            t.cancel(false);
        }
    }

    private static void closeQuietly(DatagramChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("closing socket: {}", e.toString());
            }
        }
    }

    private DatagramChannel openSocket(InetSocketAddress bind) throws IOException {
        DatagramChannel c = DatagramChannel.open();
        try {
            c.setOption(StandardSocketOptions.SO_RCVBUF, config.socketBufferBytes());
            c.setOption(StandardSocketOptions.SO_SNDBUF, config.socketBufferBytes());
            c.bind(bind);
            c.configureBlocking(false);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- control (run on the selector thread)

    void createSegment(SegmentId id, int vni, ColourPolicy policy) {
        TunnelHeader.check(vni, "VNI");
        if (segments.containsKey(id)) {
            throw new IllegalArgumentException("segment exists: " + id);
        }
        for (Segment s : segmentArray) {
            if (s.vni == vni) {
                throw new IllegalArgumentException("VNI " + vni + " already used by " + s.id);
            }
        }
        Segment s = new Segment(id, vni, policy, new MacTable<>(config.macTableSize(),
                config.macAgeing().toNanos(), config.nanoClock()));
        segments.put(id, s);
        segmentArray = segments.values().toArray(new Segment[0]);
    }

    void removeSegment(SegmentId id) {
        Segment s = segment(id);
        for (Port p : s.ports.clone()) {
            removePort(p.id);
        }
        segments.remove(id);
        segmentArray = segments.values().toArray(new Segment[0]);
    }

    InetSocketAddress addPort(PortId id, InetSocketAddress bind, InetSocketAddress vm) {
        Segment s = segment(id.segment());
        if (ports.containsKey(id)) {
            throw new IllegalArgumentException("port exists: " + id);
        }
        requireResolved(vm);
        DatagramChannel c = null;
        try {
            c = openSocket(bind);
            Port p = new Port(id, s, c, vm, config.holdLimit(), config.recordLimit());
            c.register(selector, SelectionKey.OP_READ, p);
            ports.put(id, p);
            s.add(p);
            return (InetSocketAddress) c.getLocalAddress();
        } catch (IOException e) {
            closeQuietly(c);
            throw new UncheckedIOException("cannot open port " + id + " on " + bind, e);
        }
    }

    void addTunnelPeer(PortId id, InetSocketAddress remote) {
        if (tunnel == null) {
            throw new IllegalStateException("switch " + name + " has no tunnel endpoint");
        }
        Segment s = segment(id.segment());
        if (ports.containsKey(id)) {
            throw new IllegalArgumentException("port exists: " + id);
        }
        requireResolved(remote);
        if (remote == null) {
            throw new IllegalArgumentException("tunnel peer address missing");
        }
        if (s.tunnelFrom(remote) != null) {
            throw new IllegalArgumentException("tunnel peer " + remote + " already on " + s.id);
        }
        Port p = new Port(id, s, null, remote, 1, 1);
        ports.put(id, p);
        s.add(p);
    }

    void removePort(PortId id) {
        Port p = port(id);
        if (p.channel != null) {
            SelectionKey k = p.channel.keyFor(selector);
            if (k != null) {
                k.cancel();
            }
            closeQuietly(p.channel);
        }
        freeAll(p);
        p.segment.remove(p);
        ports.remove(id);
    }

    void setPeer(PortId id, InetSocketAddress vm) {
        requireResolved(vm);
        vmPort(id).peer = vm;
    }

    /** Datagram peers are compared with the resolved source address of what arrives, so names will not do. */
    private static void requireResolved(InetSocketAddress a) {
        if (a != null && a.isUnresolved()) {
            throw new IllegalArgumentException("address must be resolved: " + a);
        }
    }

    int epoch(PortId id) {
        return vmPort(id).epoch;
    }

    /**
     * Moves a VM port to a later epoch at the VM's cut. Datagrams the paused VM already sent are still in the
     * port's socket: they are pre-cut, so they are read and forwarded with the old epoch first. Then held
     * frames that the new epoch admits are delivered, oldest first; if the VM was paused for the cut
     * ({@link #beginPause}), they are coloured and recorded now but delivered only at {@link #endPause}, once it runs.
     */
    void advanceEpoch(PortId id, int newEpoch) {
        Port p = vmPort(id);
        TunnelHeader.check(newEpoch, "epoch");
        if (newEpoch <= p.epoch) {
            throw new IllegalArgumentException("epoch of " + id + " is " + p.epoch + ", cannot advance to " + newEpoch);
        }
        // Bounded in case the caller did not pause the VM: a socket buffer holds far fewer datagrams.
        readVm(p, CUT_DRAIN_LIMIT);
        p.epoch = newEpoch;
        if (p.pausing) {
            p.pausing = false;
            p.awaitingResume = true;
        }
        release(p);
    }

    void recordUndelivered(PortId id, int newEpoch, List<byte[]> frames) {
        Port p = vmPort(id);
        TunnelHeader.check(newEpoch, "epoch");
        if (newEpoch <= p.epoch) {
            throw new IllegalArgumentException("epoch of " + id + " is " + p.epoch + ", cannot record for " + newEpoch);
        }
        if (p.segment.policy != ColourPolicy.HOLD_AND_RECORD) {
            return;
        }
        for (byte[] f : frames) {
            if (f.length < Ethernet.HEADER_BYTES || f.length > config.maxFrameBytes()) {
                throw new IllegalArgumentException("undelivered frame of " + f.length + " bytes");
            }
        }
        for (byte[] f : frames) {
            record(p, p.epoch, newEpoch, ByteBuffer.wrap(f), 0, f.length);
        }
    }

    void beginPause(PortId id) {
        Port p = vmPort(id);
        if (p.segment.policy == ColourPolicy.HOLD_AND_RECORD) {
            p.pausing = true;
        }
    }

    /** The VM runs again (or no cut followed its pause): what waited for it is delivered in arrival order. */
    void endPause(PortId id) {
        Port p = vmPort(id);
        p.pausing = false;
        if (p.awaitingResume) {
            p.awaitingResume = false;
            int slot;
            while ((slot = p.parked.poll()) >= 0) {
                sendSlot(p, slot);
                pool.release(slot);
            }
        }
        release(p);
    }

    List<RecordedFrame> drainRecorded(PortId id, int epoch) {
        Port p = vmPort(id);
        // Frames already queued at this host's sockets may still be pre-cut frames for p: handle them first.
        for (Port q : ports.values()) {
            if (!q.isTunnel()) {
                readVm(q, config.rxBudget());
            }
        }
        if (tunnel != null) {
            readTunnel();
        }
        List<RecordedFrame> out = new ArrayList<>();
        int n = p.recorded.size();
        for (int i = 0; i < n; i++) {
            int slot = p.recorded.poll();
            if (pool.receiverEpoch(slot) == epoch) {
                out.add(new RecordedFrame(pool.senderEpoch(slot), epoch, pool.copy(slot)));
                pool.release(slot);
            } else {
                p.recorded.offer(slot);
            }
        }
        return out;
    }

    void prepareRestore(PortId id, int epoch, List<byte[]> replayFrames) {
        Port p = vmPort(id);
        TunnelHeader.check(epoch, "epoch");
        for (byte[] f : replayFrames) {
            if (f.length < Ethernet.HEADER_BYTES || f.length > config.maxFrameBytes()) {
                throw new IllegalArgumentException("replay frame of " + f.length + " bytes");
            }
        }
        int slot;
        while ((slot = p.held.poll()) >= 0) {
            pool.release(slot);
            p.drop(DropReason.RESTORE_DISCARD);
        }
        while ((slot = p.parked.poll()) >= 0) {
            pool.release(slot);
            p.drop(DropReason.RESTORE_DISCARD);
        }
        p.pausing = false;
        p.awaitingResume = false;
        p.replay.clear();
        for (byte[] f : replayFrames) {
            p.replay.add(f.clone());
        }
        p.epoch = epoch;
        p.suspended = true;
    }

    void resume(PortId id) {
        Port p = vmPort(id);
        p.suspended = false;
        // Frames held while the port was suspended with a colour below the restored epoch were sent by the run the
        // restore replaces (a VM another host had not replaced yet): delivering them would put post-cut traffic of
        // the abandoned run into the restored VM. The restore's epoch is above every epoch the slice used before.
        int n = p.held.size();
        for (int i = 0; i < n; i++) {
            int slot = p.held.poll();
            if (pool.senderEpoch(slot) < p.epoch) {
                pool.release(slot);
                p.drop(DropReason.RESTORE_DISCARD);
            } else {
                p.held.offer(slot);
            }
        }
        byte[] f;
        while ((f = p.replay.poll()) != null) {
            tx.clear();
            tx.put(f).flip();
            if (sendVm(p, tx, 0, f.length)) {
                p.injected++;
            }
        }
        release(p);
    }

    SwitchCounters counters() {
        List<PortCounters> list = new ArrayList<>();
        for (Port p : ports.values()) {
            list.add(p.counters());
        }
        list.sort((a, b) -> a.id().toString().compareTo(b.id().toString()));
        return new SwitchCounters(list, Port.dropMap(switchDrops), pool.available());
    }

    PortCounters counters(PortId id) {
        return port(id).counters();
    }

    private Segment segment(SegmentId id) {
        Segment s = segments.get(id);
        if (s == null) {
            throw new IllegalArgumentException("no segment " + id);
        }
        return s;
    }

    private Port port(PortId id) {
        Port p = ports.get(id);
        if (p == null) {
            throw new IllegalArgumentException("no port " + id);
        }
        return p;
    }

    private Port vmPort(PortId id) {
        Port p = port(id);
        if (p.isTunnel()) {
            throw new IllegalArgumentException(id + " is a tunnel peer, not a VM port");
        }
        return p;
    }

    private void freeAll(Port p) {
        int slot;
        while ((slot = p.held.poll()) >= 0) {
            pool.release(slot);
        }
        while ((slot = p.recorded.poll()) >= 0) {
            pool.release(slot);
        }
        while ((slot = p.parked.poll()) >= 0) {
            pool.release(slot);
        }
    }

    // ---------------------------------------------------------------- data path (no allocation below)

    private void onReady(SelectionKey key) {
        Object a = key.attachment();
        if (a == tunnelMark) {
            readTunnel();
        } else {
            readVm((Port) a, config.rxBudget());
        }
    }

    private void readVm(Port in, int budget) {
        for (int n = 0; n < budget; n++) {
            rx.clear();
            SocketAddress from;
            try {
                from = in.channel.receive(rx);
            } catch (IOException e) {
                LOG.warn("port {} receive failed: {}", in.id, e.toString());
                return;
            }
            if (from == null) {
                return;
            }
            // A restored VM may come back from another address: always answer the latest sender.
            if (!from.equals(in.peer)) {
                in.peer = (InetSocketAddress) from;
                in.peerChanges++;
            }
            int len = rx.position();
            in.framesIn++;
            in.bytesIn += len;
            if (len < Ethernet.HEADER_BYTES) {
                in.drop(DropReason.RUNT);
            } else if (len > config.maxFrameBytes()) {
                in.drop(DropReason.OVERSIZE);
            } else {
                forward(in, in.epoch, rx, 0, len);
            }
        }
    }

    private void readTunnel() {
        for (int n = 0; n < config.rxBudget(); n++) {
            rx.clear();
            SocketAddress from;
            try {
                from = tunnel.receive(rx);
            } catch (IOException e) {
                LOG.warn("tunnel receive failed: {}", e.toString());
                return;
            }
            if (from == null) {
                return;
            }
            int len = rx.position() - TunnelHeader.BYTES;
            if (len < Ethernet.HEADER_BYTES || !TunnelHeader.valid(rx, 0)) {
                switchDrops[DropReason.BAD_HEADER.ordinal()]++;
                continue;
            }
            Segment s = segmentByVni(TunnelHeader.vni(rx, 0));
            if (s == null) {
                switchDrops[DropReason.UNKNOWN_VNI.ordinal()]++;
                continue;
            }
            Port in = s.tunnelFrom((InetSocketAddress) from);
            if (in == null) {
                switchDrops[DropReason.UNKNOWN_PEER.ordinal()]++;
                continue;
            }
            in.framesIn++;
            in.bytesIn += len;
            if (len > config.maxFrameBytes()) {
                in.drop(DropReason.OVERSIZE);
            } else {
                forward(in, TunnelHeader.epoch(rx, 0), rx, TunnelHeader.BYTES, len);
            }
        }
    }

    private Segment segmentByVni(int vni) {
        for (Segment s : segmentArray) {
            if (s.vni == vni) {
                return s;
            }
        }
        return null;
    }

    /** Learns the source, then sends to the learned port or floods; {@code senderEpoch} is the frame's colour. */
    private void forward(Port in, int senderEpoch, ByteBuffer buf, int off, int len) {
        Segment s = in.segment;
        if (!Ethernet.isGroup(buf, off + 6)) {
            s.macs.learn(Ethernet.mac(buf, off + 6), in);
        }
        if (!Ethernet.isGroup(buf, off)) {
            Port out = s.macs.lookup(Ethernet.mac(buf, off));
            if (out != null) {
                if (out == in || (in.isTunnel() && out.isTunnel())) {
                    in.drop(DropReason.FILTERED);
                } else {
                    emit(out, senderEpoch, buf, off, len);
                }
                return;
            }
        }
        boolean fromTunnel = in.isTunnel();
        for (Port out : s.ports) {
            // Split horizon: tunnels form a full mesh, so a frame from one is never sent into another.
            if (out != in && !(fromTunnel && out.isTunnel())) {
                emit(out, senderEpoch, buf, off, len);
            }
        }
    }

    private void emit(Port out, int senderEpoch, ByteBuffer buf, int off, int len) {
        if (out.isTunnel()) {
            sendTunnel(out, senderEpoch, buf, off, len);
            return;
        }
        Verdict v = holdsEverything(out) ? Verdict.HOLD : verdict(out, senderEpoch);
        switch (v) {
            case DELIVER -> {
                if (out.awaitingResume) {
                    park(out, senderEpoch, buf, off, len, true);
                } else {
                    sendVm(out, buf, off, len);
                }
            }
            case DELIVER_AND_RECORD -> {
                record(out, senderEpoch, out.epoch, buf, off, len);
                if (out.awaitingResume) {
                    park(out, senderEpoch, buf, off, len, true);
                } else {
                    sendVm(out, buf, off, len);
                }
            }
            case HOLD -> hold(out, senderEpoch, buf, off, len);
            case DROP -> out.drop(DropReason.COLOUR);
        }
    }

    /**
     * A restored port until its resume, and a port whose VM is being paused for its cut: the latter only where the
     * channel state is recorded, since holding there serves only to record the pre-cut frames at the cut.
     */
    private static boolean holdsEverything(Port p) {
        return p.suspended || (p.pausing && p.segment.policy == ColourPolicy.HOLD_AND_RECORD);
    }

    /** Mattern's rule at the receiver: compare the frame's colour (sender epoch) with the receiver's epoch. */
    private static Verdict verdict(Port out, int senderEpoch) {
        ColourPolicy policy = out.segment.policy;
        if (policy == ColourPolicy.NONE) {
            return Verdict.DELIVER;
        }
        if (senderEpoch > out.epoch) {
            return policy == ColourPolicy.DROP ? Verdict.DROP : Verdict.HOLD;
        }
        if (senderEpoch < out.epoch && policy == ColourPolicy.HOLD_AND_RECORD) {
            return Verdict.DELIVER_AND_RECORD;
        }
        return Verdict.DELIVER;
    }

    private void hold(Port out, int senderEpoch, ByteBuffer buf, int off, int len) {
        if (out.held.isFull()) {
            out.drop(DropReason.HOLD_OVERFLOW);
            return;
        }
        int slot = pool.store(buf, off, len, senderEpoch, out.epoch);
        if (slot < 0) {
            out.drop(DropReason.POOL_EXHAUSTED);
            return;
        }
        out.held.offer(slot);
        out.heldTotal++;
    }

    /** Keeps a coloured frame until its paused receiver resumes; counted as held (and as a hold overflow if full). */
    private void park(Port out, int senderEpoch, ByteBuffer buf, int off, int len, boolean newlyHeld) {
        if (out.parked.isFull()) {
            out.drop(DropReason.HOLD_OVERFLOW);
            return;
        }
        int slot = pool.store(buf, off, len, senderEpoch, out.epoch);
        if (slot < 0) {
            out.drop(DropReason.POOL_EXHAUSTED);
            return;
        }
        out.parked.offer(slot);
        if (newlyHeld) {
            out.heldTotal++;
        }
    }

    /** Keeps a copy of a frame as channel state of the cut that took {@code out} to {@code receiverEpoch}. */
    private void record(Port out, int senderEpoch, int receiverEpoch, ByteBuffer buf, int off, int len) {
        int slot = out.recorded.isFull() ? -1 : pool.store(buf, off, len, senderEpoch, receiverEpoch);
        if (slot < 0) {
            out.recordLost++;
            return;
        }
        out.recorded.offer(slot);
        out.recordedTotal++;
    }

    /** Re-examines every held frame in arrival order; those the port's epoch now admits go out, the rest wait. */
    private void release(Port p) {
        int n = p.held.size();
        for (int i = 0; i < n; i++) {
            int slot = p.held.poll();
            Verdict v = holdsEverything(p) ? Verdict.HOLD : verdict(p, pool.senderEpoch(slot));
            switch (v) {
                case HOLD -> p.held.offer(slot);
                case DROP -> {
                    p.drop(DropReason.COLOUR);
                    pool.release(slot);
                }
                case DELIVER -> {
                    if (p.awaitingResume && !p.parked.isFull()) {
                        p.parked.offer(slot);
                    } else if (p.awaitingResume) {
                        p.drop(DropReason.HOLD_OVERFLOW);
                        pool.release(slot);
                    } else {
                        sendSlot(p, slot);
                        pool.release(slot);
                    }
                }
                case DELIVER_AND_RECORD -> {
                    if (p.awaitingResume) {
                        // Recorded now (the cut), delivered at the resume: a copy waits in parked.
                        ByteBuffer f = pool.frame(slot);
                        int len = f.remaining();
                        tx.clear();
                        tx.put(f).flip();
                        park(p, pool.senderEpoch(slot), tx, 0, len, false);
                    } else {
                        sendSlot(p, slot);
                    }
                    if (p.recorded.isFull()) {
                        p.recordLost++;
                        pool.release(slot);
                    } else {
                        pool.setReceiverEpoch(slot, p.epoch);
                        p.recorded.offer(slot);
                        p.recordedTotal++;
                    }
                }
            }
        }
    }

    private void sendSlot(Port p, int slot) {
        ByteBuffer b = pool.frame(slot);
        if (sendVm(p, b, b.position(), b.remaining())) {
            p.released++;
        }
    }

    private boolean sendVm(Port out, ByteBuffer buf, int off, int len) {
        if (out.peer == null) {
            out.drop(DropReason.NO_PEER);
            return false;
        }
        buf.limit(off + len).position(off);
        return count(out, trySend(out.channel, buf, out.peer), len);
    }

    private void sendTunnel(Port out, int senderEpoch, ByteBuffer buf, int off, int len) {
        tx.clear();
        TunnelHeader.write(tx, 0, out.segment.vni, senderEpoch);
        tx.put(TunnelHeader.BYTES, buf, off, len);
        tx.limit(TunnelHeader.BYTES + len).position(0);
        count(out, trySend(tunnel, tx, out.peer), len);
    }

    /** Bytes sent, 0 when the socket buffer is full, -1 on error. */
    private static int trySend(DatagramChannel c, ByteBuffer b, InetSocketAddress to) {
        try {
            return c.send(b, to);
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean count(Port out, int sent, int len) {
        if (sent > 0) {
            out.framesOut++;
            out.bytesOut += len;
            return true;
        }
        out.drop(sent == 0 ? DropReason.TX_FULL : DropReason.TX_ERROR);
        return false;
    }

    @Override
    public String toString() {
        return "switch " + name + " " + Arrays.toString(segmentArray);
    }
}
