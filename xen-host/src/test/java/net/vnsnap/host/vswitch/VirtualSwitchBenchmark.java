package net.vnsnap.host.vswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.host.vswitch.frame.Ethernet;

/** Frames/s and MB/s through one switch and through a tunnel, against raw loopback UDP, plus advanceEpoch's cost. */
@Tag("benchmark")
class VirtualSwitchBenchmark {
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    static final SegmentId SEG = new SegmentId("bench", "lan");
    /** One driver thread sends this many frames, then reads them back: no loss to full buffers, switch gets a core. */
    static final int WINDOW = 32;
    static final int RUNS = 5;
    static final long MAC_A = 0x5254_0000_0001L;
    static final long MAC_B = 0x5254_0000_0002L;

    /** A sending and a receiving socket, plus where the sender aims. */
    private static final class Path implements AutoCloseable {
        final DatagramChannel tx;
        final DatagramChannel rx;
        final Selector sel;
        InetSocketAddress target;

        Path() throws IOException {
            tx = open();
            rx = open();
            rx.configureBlocking(false);
            sel = Selector.open();
            rx.register(sel, SelectionKey.OP_READ);
        }

        private static DatagramChannel open() throws IOException {
            DatagramChannel c = DatagramChannel.open();
            c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            c.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            c.bind(ANY);
            return c;
        }

        InetSocketAddress rxAddress() throws IOException {
            return (InetSocketAddress) rx.getLocalAddress();
        }

        @Override
        public void close() throws IOException {
            sel.close();
            tx.close();
            rx.close();
        }
    }

    /** Seconds to move {@code frames} frames of {@code size} bytes; fails if frames go missing. */
    private static double transfer(Path p, int size, int frames) throws IOException {
        ByteBuffer out = ByteBuffer.allocateDirect(size);
        Ethernet.putMac(out, 0, MAC_B);
        Ethernet.putMac(out, 6, MAC_A);
        out.putShort(12, (short) 0x88B5);
        ByteBuffer in = ByteBuffer.allocateDirect(65_536);
        long start = System.nanoTime();
        int received = 0;
        for (int sent = 0; sent < frames; ) {
            int burst = Math.min(WINDOW, frames - sent);
            for (int i = 0; i < burst; i++) {
                out.clear();
                p.tx.send(out, p.target);
            }
            sent += burst;
            while (received < sent) {
                in.clear();
                if (p.rx.receive(in) != null) {
                    received++;
                    continue;
                }
                if (p.sel.select(1000) == 0) {
                    throw new IOException("lost " + (sent - received) + " frames");
                }
                p.sel.selectedKeys().clear();
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    /** Frames/s of RUNS measured runs after one warm-up. */
    private static double[] measure(Path p, int size, int frames) throws IOException {
        transfer(p, size, frames);
        double[] fps = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            fps[r] = frames / transfer(p, size, frames);
        }
        return fps;
    }

    private static double[] mbps(double[] fps, int size) {
        double[] out = new double[fps.length];
        for (int i = 0; i < fps.length; i++) {
            out[i] = fps[i] * size / 1e6;
        }
        return out;
    }

    @Test
    void throughputAndEpochCost() throws IOException {
        BenchReport report = new BenchReport("vswitch",
                "host-generated frames through the virtual switch and a tunnel vs raw loopback UDP");
        long gcDuringSwitch = 0;
        for (int size : new int[] {64, 1500}) {
            int frames = size == 64 ? 40_000 : 20_000;
            double[] raw;
            try (Path p = new Path()) {
                p.target = p.rxAddress();
                raw = measure(p, size, frames);
            }
            double[] sw;
            try (Path p = new Path(); VirtualSwitch s = VirtualSwitch.start("bench", SwitchConfig.defaults())) {
                s.createSegment(SEG, 1, ColourPolicy.HOLD_AND_RECORD);
                p.target = s.addPort(new PortId(SEG, "a"), ANY, (InetSocketAddress) p.tx.getLocalAddress());
                InetSocketAddress bPort = s.addPort(new PortId(SEG, "b"), ANY, p.rxAddress());
                // Teach the switch where MAC_B lives so the measured frames are unicast, not flooded.
                ByteBuffer hello = ByteBuffer.allocate(60);
                Ethernet.putMac(hello, 0, Ethernet.BROADCAST);
                Ethernet.putMac(hello, 6, MAC_B);
                p.rx.send(hello, bPort);
                Await.framesIn(s, 1);
                long gc0 = gcCount();
                sw = measure(p, size, frames);
                gcDuringSwitch += gcCount() - gc0;
                assertEquals(0, s.counters().ports().stream().mapToLong(PortCounters::droppedTotal).sum());
            }
            double[] tun;
            SwitchConfig tc = SwitchConfig.defaults().withTunnelBind(ANY);
            try (Path p = new Path(); VirtualSwitch s1 = VirtualSwitch.start("bench1", tc);
                 VirtualSwitch s2 = VirtualSwitch.start("bench2", tc)) {
                s1.createSegment(SEG, 1, ColourPolicy.HOLD_AND_RECORD);
                s2.createSegment(SEG, 1, ColourPolicy.HOLD_AND_RECORD);
                s1.addTunnelPeer(new PortId(SEG, "t"), s2.tunnelAddress());
                s2.addTunnelPeer(new PortId(SEG, "t"), s1.tunnelAddress());
                p.target = s1.addPort(new PortId(SEG, "a"), ANY, (InetSocketAddress) p.tx.getLocalAddress());
                InetSocketAddress bPort = s2.addPort(new PortId(SEG, "b"), ANY, p.rxAddress());
                ByteBuffer hello = ByteBuffer.allocate(60);
                Ethernet.putMac(hello, 0, Ethernet.BROADCAST);
                Ethernet.putMac(hello, 6, MAC_B);
                p.rx.send(hello, bPort);
                Await.framesIn(s1, 1);
                long gc0 = gcCount();
                tun = measure(p, size, frames);
                gcDuringSwitch += gcCount() - gc0;
            }
            report.add("raw UDP loopback, " + size + " B frames", "kframes/s", new Stats(scale(raw, 1e-3)));
            report.add("switch a->b, " + size + " B frames", "kframes/s", new Stats(scale(sw, 1e-3)));
            report.add("tunnel host1->host2, " + size + " B frames", "kframes/s", new Stats(scale(tun, 1e-3)));
            report.add("raw UDP loopback, " + size + " B frames", "MB/s", new Stats(mbps(raw, size)));
            report.add("switch a->b, " + size + " B frames", "MB/s", new Stats(mbps(sw, size)));
            report.add("tunnel host1->host2, " + size + " B frames", "MB/s", new Stats(mbps(tun, size)));
            double rawMedian = new Stats(raw).median();
            report.ratio("switch/raw frames/s, " + size + " B", new Stats(sw).median() / rawMedian,
                    "medians; 1.0 = the switch costs nothing over one UDP hop");
            report.ratio("tunnel/raw frames/s, " + size + " B", new Stats(tun).median() / rawMedian,
                    "medians; two switches and three UDP hops vs one hop");
        }
        report.add("GC collections during switch and tunnel runs", "count", new Stats(new double[] {gcDuringSwitch}));
        report.add("advanceEpoch round trip (idle switch)", "us", new Stats(epochCost()));
        report.publish(System.out);
    }

    private static double[] scale(double[] v, double f) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * f;
        }
        return out;
    }

    /** Microseconds per advanceEpoch call, one sample per call after a warm-up. */
    private static double[] epochCost() throws IOException {
        try (VirtualSwitch s = VirtualSwitch.start("epoch", SwitchConfig.defaults())) {
            s.createSegment(SEG, 1, ColourPolicy.HOLD_AND_RECORD);
            PortId p = new PortId(SEG, "a");
            s.addPort(p, ANY);
            int epoch = 0;
            for (int i = 0; i < 2000; i++) {
                s.advanceEpoch(p, ++epoch);
            }
            double[] us = new double[2000];
            for (int i = 0; i < us.length; i++) {
                long t = System.nanoTime();
                s.advanceEpoch(p, ++epoch);
                us[i] = (System.nanoTime() - t) / 1e3;
            }
            return us;
        }
    }
}
