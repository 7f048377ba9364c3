package net.vnsnap.geni.demo;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.geni.testbed.Consistency;
import net.vnsnap.geni.testbed.GuestConsole;
import net.vnsnap.host.api.VmInfo;

/**
 * The distributed workload of the demo slice, typed on the guests' serial consoles: vm1 and vm3 exchange sequenced UDP
 * both ways across the two hosts, vm2 streams checksummed TCP records to vm3; every line it logs lands in the console.
 */
final class GuestWorkload {

    static final Pattern UDP_TX = Consistency.UDP_TX;
    static final Pattern UDP_RX = Consistency.UDP_RX;
    static final Pattern UDP_GAP = Consistency.UDP_GAP;
    static final Pattern TCP_TX = Consistency.TCP_TX;
    static final Pattern TCP_RX = Consistency.TCP_RX;

    /** The nodes of the example request and their experiment addresses. */
    static final Map<String, String> ADDRESSES = Map.of("vm1", "10.10.1.1", "vm2", "10.10.1.2", "vm3", "10.10.1.3");
    /** Datagrams per second each way; every one is logged, so each can be checked. */
    static final int UDP_RATE = 20;
    /** 16-byte TCP records per second. */
    static final int TCP_RATE = 100;
    /** The TCP sender and receiver log their running checksum every this many records. */
    static final int TCP_EVERY = 20;

    /** Client id to the VM's name on its host (kept across a restore, which brings VMs back under their names). */
    private final Map<String, String> vmNames = new LinkedHashMap<>();
    /** Client id to the console of the VM's current incarnation; replaced after a restore. */
    private final Map<String, GuestConsole> consoles = new LinkedHashMap<>();

    /**
     * Finds each node's VM by the address its console announced at boot (the node's {@code ip=} line) once its console
     * shell is up; fails after {@code timeout}.
     */
    static GuestWorkload find(VmSource vms, Duration timeout) throws Exception {
        GuestWorkload w = new GuestWorkload();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (w.consoles.size() < ADDRESSES.size()) {
            for (VmInfo vm : vms.current()) {
                if (vm.consoleLog().isEmpty() || !Files.exists(Path.of(vm.consoleLog()))) {
                    continue;
                }
                String text = Files.readString(Path.of(vm.consoleLog()), StandardCharsets.ISO_8859_1);
                int up = text.indexOf("USERSPACE-UP");
                // Input typed before the guest opens ttyS0 is lost, so wait for the shell's prompt after the banner.
                if (up < 0 || text.indexOf("/ # ", up) < 0) {
                    continue;
                }
                for (Map.Entry<String, String> e : ADDRESSES.entrySet()) {
                    if (text.contains(" ip=" + e.getValue() + "/")) {
                        w.vmNames.put(e.getKey(), vm.name());
                        w.consoles.put(e.getKey(), new GuestConsole(Path.of(vm.consoleLog())));
                    }
                }
            }
            if (w.consoles.size() < ADDRESSES.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + w.consoles.keySet() + " of " + ADDRESSES.keySet()
                            + " booted to a shell within " + timeout);
                }
                Thread.sleep(1000);
            }
        }
        return w;
    }

    /** Where the host agents' current VMs are read from. */
    @FunctionalInterface
    interface VmSource {
        List<VmInfo> current() throws Exception;
    }

    /** Starts the receivers on vm3 and vm1, then the senders, each in the background of the console shell. */
    void start(Duration timeout) throws IOException, InterruptedException {
        String vm1 = ADDRESSES.get("vm1");
        String vm3 = ADDRESSES.get("vm3");
        type("vm3", "udpseq recv 5001 1 </dev/null &", timeout);
        type("vm3", "tcpstream recv 6001 " + TCP_EVERY + " </dev/null &", timeout);
        type("vm1", "udpseq recv 5001 1 </dev/null &", timeout);
        type("vm1", "udpseq send " + vm3 + " 5001 " + UDP_RATE + " 1 </dev/null &", timeout);
        type("vm3", "udpseq send " + vm1 + " 5001 " + UDP_RATE + " 1 </dev/null &", timeout);
        type("vm2", "tcpstream send " + vm3 + " 6001 " + TCP_RATE + " " + TCP_EVERY + " </dev/null &", timeout);
    }

    /**
     * Types {@code command} and then an echo whose output (not its echoed input) shows the shell ran the line; types
     * both again, up to three times, when the shell did not answer.
     */
    private void type(String vm, String command, Duration timeout) throws IOException, InterruptedException {
        GuestConsole c = consoles.get(vm);
        Path sock = c.file().resolveSibling("ser.sock");
        int token = 1000 + (int) (System.nanoTime() % 9000);
        String expect = "typed-" + (token + 1);
        for (int attempt = 0; attempt < 3; attempt++) {
            long from = c.size();
            // The connection stays open until the shell answered: QEMU takes input only as fast as the guest's UART
            // FIFO drains, and drops what it has not read yet when the connection closes.
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                ch.write(ByteBuffer.wrap(("\n" + command + "\necho typed-$((" + token + "+1))\n").getBytes(StandardCharsets.US_ASCII)));
                long end = System.nanoTime() + timeout.toNanos() / 3;
                while (System.nanoTime() < end) {
                    if (c.lines(from).stream().anyMatch(l -> l.contains(expect))) {
                        return;
                    }
                    Thread.sleep(200);
                }
            }
        }
        throw new IllegalStateException("the console of " + vm + " did not run '" + command + "'; its tail:\n" + c.tail(0, 10));
    }

    /** Waits until from the given offsets each UDP receiver read 20 more datagrams and the TCP receiver three checksums. */
    void awaitTraffic(Map<String, Long> from, Duration timeout) throws IOException, InterruptedException {
        for (String rx : List.of("vm1", "vm3")) {
            long off = from.getOrDefault(rx, 0L);
            long first = Long.parseLong(console(rx).await(UDP_RX, off, 0, timeout).group(1));
            console(rx).await(UDP_RX, off, first + 20, timeout);
        }
        long off = from.getOrDefault("vm3", 0L);
        long first = Long.parseLong(console("vm3").await(TCP_RX, off, 0, timeout).group(1));
        console("vm3").await(TCP_RX, off, first + 3L * TCP_EVERY, timeout);
    }

    GuestConsole console(String clientId) {
        return consoles.get(clientId);
    }

    /** Each node's console length now: offsets for reading what comes later. */
    Map<String, Long> offsets() {
        Map<String, Long> m = new LinkedHashMap<>();
        consoles.forEach((k, v) -> m.put(k, v.size()));
        return m;
    }

    /** The last number a pattern's first group showed on a node's console, or -1. */
    long last(String clientId, Pattern p) throws IOException {
        return console(clientId).last(p, 0).map(m -> Long.parseLong(m.group(1))).orElse(-1L);
    }

    /** Copies each current console into {@code dir} as {@code <client_id>-<suffix>.log} and returns the copies. */
    Map<String, GuestConsole> keep(Path dir, String suffix) throws IOException {
        Files.createDirectories(dir);
        Map<String, GuestConsole> out = new LinkedHashMap<>();
        for (Map.Entry<String, GuestConsole> e : consoles.entrySet()) {
            Path copy = dir.resolve(e.getKey() + "-" + suffix + ".log");
            Files.copy(e.getValue().file(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            out.put(e.getKey(), new GuestConsole(copy));
        }
        return out;
    }

    /** Switches to the consoles of the VMs now running under the same names (the restored ones); fails if one is missing. */
    void adopt(List<VmInfo> now) {
        for (Map.Entry<String, String> e : vmNames.entrySet()) {
            VmInfo vm = now.stream().filter(v -> v.name().equals(e.getValue())).findFirst().orElseThrow(() ->
                    new IllegalStateException("VM " + e.getValue() + " of node " + e.getKey() + " is not running after the restore"));
            if (vm.consoleLog().isEmpty()) {
                throw new IllegalStateException("VM " + vm.name() + " reports no console log");
            }
            consoles.put(e.getKey(), new GuestConsole(Path.of(vm.consoleLog())));
        }
    }

    /** The first match of {@code p} on a node's console from {@code offset}, waiting for it. */
    Matcher await(String clientId, Pattern p, long offset, long atLeast, Duration timeout) throws IOException, InterruptedException {
        return console(clientId).await(p, offset, atLeast, timeout);
    }
}
