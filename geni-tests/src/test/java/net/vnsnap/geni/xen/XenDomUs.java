package net.vnsnap.geni.xen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.Dom0Shell;
import net.vnsnap.geni.testbed.NestedXenHost;

/**
 * The networked test domU of the Xen suites and reading its console: the cached tiny domU initramfs plus
 * xen-netfront (from the image's kernel deb) and an /init that brings eth0 up from {@code vm.ip=}, then prints
 * {@code COUNTER n net=ok|fail} every second after one ping to {@code vm.peer=}.
 */
final class XenDomUs {
    /** Where hostd's {@code netdomu} image points; the stock tiny initramfs there is extended in this boot's dom0. */
    static final String INITRD = NestedXenHost.TINY_DOMU_INITRD;
    /**
     * Debian's bzImage, booted as a PV guest. PVH guests power off at once on this nested host (the same with
     * {@code xl create}, the project's PVH vmlinux and the stock tiny initramfs), so the Xen suites run PV domUs.
     */
    static final String KERNEL = "/boot/vmlinuz-domu";
    static final Pattern COUNTER = Pattern.compile("COUNTER (\\d+) net=(ok|fail)");

    private static final String INIT = """
            #!/bin/sh
            # vnsnap Xen test domU: xen-netfront on eth0 from vm.ip=, a counter and one ping to vm.peer= per second.
            /bin/busybox mkdir -p /proc /sys /dev
            /bin/busybox mount -t proc proc /proc
            /bin/busybox mount -t sysfs sysfs /sys
            /bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
            /bin/busybox --install -s /bin
            export PATH=/bin
            arg() { sed -n "s/.*$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
            NAME=$(arg vm.name); IP=$(arg vm.ip); PEER=$(arg vm.peer)
            insmod /lib/xen-netfront.ko
            i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
            ip link set lo up; ip link set eth0 up; ip addr add "$IP" dev eth0
            echo "DOMU-BOOTED name=$NAME ip=$IP uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
            n=0
            while true; do
              n=$((n + 1))
              if ping -c 1 -W 1 "$PEER" >/dev/null 2>&1; then net=ok; else net=fail; fi
              echo "COUNTER $n net=$net up=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
              sleep 1
            done
            """;

    private XenDomUs() {
    }

    /**
     * Puts the networked initramfs where the {@code netdomu} image's initrd is: the stock tiny archive followed by one
     * with {@code /init} and xen-netfront.ko, built here and fetched by dom0.
     */
    static void install(NestedXenHost host, Path workDir) throws IOException, InterruptedException {
        Path fs = Files.createDirectories(workDir.resolve("netdomu/fs/lib"));
        Files.write(fs.resolve("xen-netfront.ko"), netfrontModule());
        Path init = fs.getParent().resolve("init");
        Files.writeString(init, INIT);
        init.toFile().setExecutable(true, false);
        // One gzip stream (libxc inflates a ramdisk as a single member): the stock archive, then ours; the kernel
        // unpacks concatenated cpio archives in order, so our /init replaces the stock one.
        Path extra = workDir.resolve("netdomu/netdomu.cpio.gz");
        Path stock = host.image().directory().resolve("domu.cpio.gz");
        Process p = new ProcessBuilder("sh", "-c", "cd '" + fs.getParent() + "' && { zcat '" + stock + "'; find . | cpio -o -H newc --quiet; }"
                + " | gzip -9 > '" + extra + "'").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("packing the networked domU initramfs failed: " + out);
        }
        // dom0 fetches the archive from this JVM: QEMU's user network maps 10.0.2.2 to this machine's loopback.
        byte[] bytes = Files.readAllBytes(extra);
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread serve = new Thread(() -> {
                try (java.net.Socket c = server.accept()) {
                    c.getOutputStream().write(bytes);
                } catch (IOException e) {
                    // the dom0 command below reports the missing file
                }
            }, "netdomu-serve");
            serve.setDaemon(true);
            serve.start();
            // socat must not touch the command channel's descriptors, or the channel's shell dies with it.
            dom0Ok(host, ("socat -u TCP:10.0.2.2:%d CREATE:/tmp/netdomu.cpio.gz </dev/null >/dev/null 2>&1 && gzip -t /tmp/netdomu.cpio.gz"
                    + " && cp /tmp/netdomu.cpio.gz %s && ls -l %s").formatted(server.getLocalPort(), INITRD, INITRD), Duration.ofMinutes(3));
        }
    }

    /** xen-netfront.ko of the domU kernel, from the kernel deb the image build downloaded. */
    static byte[] netfrontModule() throws IOException, InterruptedException {
        Path debs = Checkout.root().resolve(".vnsnap/xen/debs");
        Path deb;
        try (Stream<Path> s = Files.list(debs)) {
            deb = s.filter(p -> p.getFileName().toString().startsWith("linux-image-")).findFirst()
                    .orElseThrow(() -> new IOException("no linux-image deb in " + debs));
        }
        Process p = new ProcessBuilder("sh", "-c", "dpkg-deb --fsys-tarfile '" + deb + "' | tar -xO --wildcards '*/drivers/net/xen-netfront.ko*'")
                .start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0 || out.size() < 1000) {
            throw new IOException("cannot extract xen-netfront.ko from " + deb + ": " + new String(p.getErrorStream().readAllBytes()));
        }
        return out.toByteArray();
    }

    /**
     * Runs an idempotent dom0 command, again (up to 5 times) when the command channel drops the connection without an
     * exit status, which it does now and then on a loaded machine.
     */
    static Dom0Shell.Result dom0(NestedXenHost host, String command, Duration timeout) throws IOException, InterruptedException {
        IOException last = null;
        for (int i = 0; i < 5; i++) {
            try {
                return host.dom0(command, timeout);
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("gave no exit status")) {
                    throw e;
                }
                last = e;
                Thread.sleep(2000);
            }
        }
        throw last;
    }

    /** {@link #dom0} that fails unless the command exits 0; returns its output. */
    static String dom0Ok(NestedXenHost host, String command, Duration timeout) throws IOException, InterruptedException {
        Dom0Shell.Result r = dom0(host, command, timeout);
        if (!r.ok()) {
            throw new IOException("dom0 command failed (exit " + r.exitCode() + "): " + command + "\n" + r.output());
        }
        return r.output();
    }

    /** The console of a domU in dom0 (xenconsoled's log), from byte {@code from}. */
    static String console(NestedXenHost host, String vm, long from) throws IOException, InterruptedException {
        String log = NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + vm + ".log";
        return dom0(host, "tail -c +" + (from + 1) + " " + log + " 2>/dev/null", Duration.ofSeconds(60)).output();
    }

    /** The console log's size now, the offset of what comes later. */
    static long size(NestedXenHost host, String vm) throws IOException, InterruptedException {
        String out = dom0(host, "stat -c %s " + NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + vm + ".log 2>/dev/null || echo 0",
                Duration.ofSeconds(60)).output().strip();
        return Long.parseLong(out.lines().reduce((a, b) -> b).orElse("0").strip());
    }

    /** Every counter line in the text, in order: {value, 1 if the ping worked}. */
    static List<long[]> counters(String text) {
        List<long[]> out = new ArrayList<>();
        Matcher m = COUNTER.matcher(text);
        while (m.find()) {
            out.add(new long[] {Long.parseLong(m.group(1)), "ok".equals(m.group(2)) ? 1 : 0});
        }
        return out;
    }

    /** Waits until the console (from {@code from}) shows {@code okPings} counters whose ping worked. */
    static String awaitPings(NestedXenHost host, String vm, long from, int okPings, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            text = console(host, vm, from);
            if (counters(text).stream().filter(c -> c[1] == 1).count() >= okPings) {
                return text;
            }
            Thread.sleep(3000);
        }
        throw new AssertionError(vm + " did not reach its peer " + okPings + " times within " + timeout + "; console:\n" + text);
    }

    /** Waits until the console (from {@code from}) shows {@code n} counter lines, whatever the pings did. */
    static void awaitCounters(NestedXenHost host, String vm, long from, int n, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            text = console(host, vm, from);
            if (counters(text).size() >= n) {
                return;
            }
            Thread.sleep(3000);
        }
        throw new AssertionError(vm + " printed fewer than " + n + " counters within " + timeout + "; console:\n" + text);
    }

    /** The last counter value in the console from {@code from}, or -1. */
    static long lastCounter(NestedXenHost host, String vm, long from) throws IOException, InterruptedException {
        List<long[]> c = counters(console(host, vm, from));
        return c.isEmpty() ? -1 : c.get(c.size() - 1)[0];
    }
}
