package net.vnsnap.host.driver.qemu;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.host.vswitch.PortId;
import net.vnsnap.host.vswitch.SegmentId;
import net.vnsnap.host.vswitch.SwitchConfig;
import net.vnsnap.host.vswitch.VirtualSwitch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * TCP throughput between two TCG guests through the virtual switch, against the same two guests joined by a
 * direct UDP link (no switch) measured in the same run: what the switch costs real VM traffic.
 */
@Tag("benchmark")
class VmThroughputBenchmark {

    private static final Pattern RX = Pattern.compile("tcp-rx (\\d+) sum=");
    private static final int ROUNDS = 3;
    private static final Duration WINDOW = Duration.ofSeconds(5);
    private static final int RECORD_BYTES = 16;

    @Test
    void tcpThroughTheSwitchVersusADirectLink() throws Exception {
        TestGuest.assumeQemu();
        Path tmp = Files.createTempDirectory("vm-throughput");
        double[] direct = new double[ROUNDS];
        double[] switched = new double[ROUNDS];
        try (QemuDriver d = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
                VirtualSwitch sw = VirtualSwitch.start("bench", SwitchConfig.defaults()
                        .withTunnelBind(new InetSocketAddress("127.0.0.1", 0)))) {
            SegmentId seg = new SegmentId("bench", "lan0");
            sw.createSegment(seg, 7, ColourPolicy.HOLD_AND_RECORD);
            for (int r = 0; r < ROUNDS; r++) {
                // Interleave the two set-ups so drifting machine load affects both alike.
                NetworkAttachment.UdpTunnel[] pair = NetworkAttachment.UdpTunnel.directPair(QemuVms.ports(2));
                direct[r] = measure(d, "d" + r, pair[0], pair[1]);
                int a = QemuVms.ports(1);
                int b = QemuVms.ports(1);
                InetSocketAddress pa = sw.addPort(new PortId(seg, "a" + r), new InetSocketAddress("127.0.0.1", 0));
                InetSocketAddress pb = sw.addPort(new PortId(seg, "b" + r), new InetSocketAddress("127.0.0.1", 0));
                switched[r] = measure(d, "s" + r, new NetworkAttachment.UdpTunnel("127.0.0.1", a, "127.0.0.1", pa.getPort()),
                        new NetworkAttachment.UdpTunnel("127.0.0.1", b, "127.0.0.1", pb.getPort()));
                sw.removePort(new PortId(seg, "a" + r));
                sw.removePort(new PortId(seg, "b" + r));
            }
        }
        Stats sd = new Stats(direct);
        Stats ss = new Stats(switched);
        double[] ratios = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            ratios[i] = switched[i] / direct[i];
        }
        new BenchReport("vm-throughput", "TCP stream (16-byte records, sender flat out) between two 128 MiB TCG guests, "
                + WINDOW.toSeconds() + " s windows, " + ROUNDS + " rounds")
                .add("direct UDP link (baseline)", "MB/s", sd)
                .add("through the virtual switch", "MB/s", ss)
                .ratio("switch / direct throughput", new Stats(ratios).median(), "median of per-round ratios; 1.0 = the switch costs nothing")
                .publish(System.out);
    }

    /** Boots a receiver and a flat-out sender on the given links and returns MB/s received over one window. */
    private static double measure(QemuDriver d, String tag, NetworkAttachment rxNet, NetworkAttachment txNet) throws Exception {
        String rx = tag + "rx";
        String tx = tag + "tx";
        try {
            ConsoleLog rxLog = QemuVms.boot(d, QemuVms.guest(rx, 128, "10.0.7.1/24", rxNet, "tcpstream recv 5000 2000"));
            QemuVms.boot(d, QemuVms.guest(tx, 128, "10.0.7.2/24", txNet, "tcpstream send 10.0.7.1 5000 0 100000"));
            // Let the connection establish and TCP's window open before measuring.
            rxLog.await(RX, 0, Duration.ofSeconds(120));
            Thread.sleep(2000);
            long n0 = last(rxLog);
            long t0 = System.nanoTime();
            Thread.sleep(WINDOW.toMillis());
            long n1 = last(rxLog);
            double seconds = (System.nanoTime() - t0) / 1e9;
            return (n1 - n0) * (double) RECORD_BYTES / seconds / 1e6;
        } finally {
            d.destroy(rx);
            d.destroy(tx);
        }
    }

    private static long last(ConsoleLog log) {
        List<Long> all = new ArrayList<>(log.numbers(RX));
        return all.isEmpty() ? 0 : all.get(all.size() - 1);
    }

}
