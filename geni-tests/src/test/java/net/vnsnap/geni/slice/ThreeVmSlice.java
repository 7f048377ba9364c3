package net.vnsnap.geni.slice;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.geni.testbed.TwoHostTestbed;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.vswitch.ColourPolicy;

/**
 * The slice every suite snapshots: vm1 and vm2 on hostd1, vm3 on hostd2, one LAN joined by a tunnel; vm1 and vm3
 * exchange sequenced UDP both ways across the hosts, and vm2 streams checksummed TCP records to vm3.
 */
final class ThreeVmSlice {

    static final Map<String, List<String>> PLACEMENT = Map.of("hostd1", List.of("vm1", "vm2"), "hostd2", List.of("vm3"));
    static final List<String> VMS = List.of("vm1", "vm2", "vm3");
    static final Pattern UDP_TX = Consistency.UDP_TX;
    static final Pattern UDP_RX = Consistency.UDP_RX;
    static final Pattern UDP_GAP = Consistency.UDP_GAP;
    static final Pattern TCP_TX = Consistency.TCP_TX;
    static final Pattern TCP_RX = Consistency.TCP_RX;
    static final Duration BOOT = Duration.ofSeconds(180);

    /**
     * How hard the guests work.
     *
     * @param udpPerSecond datagrams per second in each direction (every one is logged, so the checks see each)
     * @param tcpPerSecond 16-byte records per second on the TCP stream
     * @param tcpEvery     the stream's sender and receiver log their running checksum every this many records
     */
    record Workload(int udpPerSecond, int tcpPerSecond, int tcpEvery) {
        static final Workload DEFAULT = new Workload(20, 100, 20);
    }

    final String slice;
    final TwoHostTestbed bed;
    final Workload work;
    /** The console of each VM's current incarnation: replaced when the slice is restored. */
    private final Map<String, GuestConsole> consoles = new LinkedHashMap<>();
    /** The host each VM runs on now: a restore that moves VMs changes it. */
    private final Map<String, String> hostOf = new LinkedHashMap<>();

    private ThreeVmSlice(String slice, TwoHostTestbed bed, Workload work) {
        this.slice = slice;
        this.bed = bed;
        this.work = work;
        PLACEMENT.forEach((h, vms) -> vms.forEach(vm -> hostOf.put(vm, h)));
    }

    /** Host to its VMs now (the snapshot request's placement), in VMS order. */
    Map<String, List<String>> placement() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String vm : VMS) {
            m.computeIfAbsent(hostOf.get(vm), k -> new java.util.ArrayList<>()).add(vm);
        }
        return m;
    }

    /** The host {@code vm} runs on now. */
    String hostOf(String vm) {
        return hostOf.get(vm);
    }

    /** Creates the LAN on both hosts with {@code policy}, boots the three VMs and waits until all traffic flows. */
    static ThreeVmSlice create(TwoHostTestbed bed, String name, int vni, ColourPolicy policy, Workload w)
            throws IOException, InterruptedException, HostException {
        ThreeVmSlice s = new ThreeVmSlice("urn:publicid:IDN+vnsnap:slicetest+slice+" + name, bed, w);
        HostAgent h1 = bed.agent("hostd1");
        HostAgent h2 = bed.agent("hostd2");
        SegmentSpec lan = new SegmentSpec(s.slice, "lan0", vni, policy);
        h1.createSegment(lan);
        h2.createSegment(lan);
        h1.connectSegment(s.slice, "lan0", bed.daemon("hostd2").tunnelEndpoint());
        h2.connectSegment(s.slice, "lan0", bed.daemon("hostd1").tunnelEndpoint());
        String udpSend = "sleep 3; udpseq send %s 5001 " + w.udpPerSecond() + " 1";
        s.adopt(h1.createVm(s.vm("vm1", 1, Map.of("work", "udpseq recv 5001 1", "work2", udpSend.formatted("10.0.9.3")))));
        s.adopt(h1.createVm(s.vm("vm2", 2, Map.of("work",
                "tcpstream send 10.0.9.3 6001 " + w.tcpPerSecond() + " " + w.tcpEvery()))));
        s.adopt(h2.createVm(s.vm("vm3", 3, Map.of("work", "udpseq recv 5001 1", "work2", udpSend.formatted("10.0.9.1"),
                "work3", "tcpstream recv 6001 " + w.tcpEvery()))));
        s.awaitTraffic(0, BOOT);
        return s;
    }

    private VmRequest vm(String name, int octet, Map<String, String> config) {
        return new VmRequest(name, slice, 128, 1, "guest",
                List.of(new VmRequest.NicRequest("net0", "52:54:00:00:09:0" + octet, "lan0", "10.0.9." + octet + "/24")), config);
    }

    private void adopt(VmInfo vm) {
        consoles.put(vm.name(), new GuestConsole(Path.of(vm.consoleLog())));
    }

    /** Switches to the restored VMs' consoles and records where they run. */
    void adopt(RestoreReport r) {
        r.vmsByHost().values().forEach(this::adopt);
        hostOf.putAll(r.placement());
    }

    /** Switches to these VMs' consoles (restored ones). */
    void adopt(List<VmInfo> vms) {
        vms.forEach(this::adopt);
    }

    GuestConsole console(String vm) {
        return consoles.get(vm);
    }

    /** A copy of the current consoles (to keep the original run's logs across a restore). */
    Map<String, GuestConsole> consoles() {
        return Map.copyOf(consoles);
    }

    /** Each VM's console length now, as offsets for reads of what comes later. */
    Map<String, Long> offsets() {
        Map<String, Long> m = new LinkedHashMap<>();
        consoles.forEach((k, v) -> m.put(k, v.size()));
        return m;
    }

    /**
     * Waits until, from the given offset of the current consoles ({@code 0} for all of it), each UDP receiver has
     * logged 20 datagrams and the TCP receiver three checksum lines.
     */
    void awaitTraffic(long offsetAll, Duration timeout) throws IOException, InterruptedException {
        awaitTraffic(Map.of("vm1", offsetAll, "vm3", offsetAll), timeout);
    }

    void awaitTraffic(Map<String, Long> from, Duration timeout) throws IOException, InterruptedException {
        for (String rx : List.of("vm1", "vm3")) {
            long off = from.getOrDefault(rx, 0L);
            long first = Long.parseLong(console(rx).await(UDP_RX, off, 0, timeout).group(1));
            console(rx).await(UDP_RX, off, first + 20, timeout);
        }
        long off = from.getOrDefault("vm3", 0L);
        long first = Long.parseLong(console("vm3").await(TCP_RX, off, 0, timeout).group(1));
        console("vm3").await(TCP_RX, off, first + 3L * work.tcpEvery(), timeout);
    }

    /** Destroys every VM of the slice on the host it runs on now. */
    void destroyAll() throws HostException {
        for (Map.Entry<String, List<String>> e : placement().entrySet()) {
            for (String vm : e.getValue()) {
                bed.agent(e.getKey()).destroyVm(vm);
            }
        }
    }
}
