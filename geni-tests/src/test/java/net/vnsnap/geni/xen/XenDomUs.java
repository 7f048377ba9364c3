package net.vnsnap.geni.xen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.NestedXenHost;

/**
 * The networked test domU of the Xen suites and reading its console: the cached tiny domU initramfs plus
 * xen-netfront (from the image's kernel deb) and an /init that brings eth0 up from {@code vm.ip=}, then prints
 * {@code COUNTER n net=ok|fail} every second after one ping to {@code vm.peer=}.
 */
final class XenDomUs {
    /** Where hostd's {@code netdomu} image points; the stock tiny initramfs there is replaced in this boot's dom0. */
    static final String INITRD = NestedXenHost.TINY_DOMU_INITRD;
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

    /** Builds the networked initramfs in dom0 and puts it where the {@code netdomu} image's initrd is. */
    static void install(NestedXenHost host) throws IOException, InterruptedException {
        String ko = Base64.getMimeEncoder().encodeToString(netfrontModule());
        String cmd = """
                set -e
                rm -rf /tmp/netdomu && mkdir -p /tmp/netdomu/lib && cd /tmp/netdomu
                zcat %s | busybox cpio -i -d 2>/dev/null
                base64 -d > lib/xen-netfront.ko <<'B64'
                %s
                B64
                cat > init <<'INIT'
                %sINIT
                chmod 755 init
                find . | busybox cpio -o -H newc 2>/dev/null | gzip -9 > /tmp/domu-net.cpio.gz
                cp /tmp/domu-net.cpio.gz %s
                ls -l %s
                """.formatted(INITRD, ko, INIT, INITRD, INITRD);
        host.dom0Ok(cmd, Duration.ofMinutes(3));
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

    /** The console of a domU in dom0 (xenconsoled's log), from byte {@code from}. */
    static String console(NestedXenHost host, String vm, long from) throws IOException {
        String log = NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + vm + ".log";
        return host.dom0("tail -c +" + (from + 1) + " " + log + " 2>/dev/null", Duration.ofSeconds(60)).output();
    }

    /** The console log's size now, the offset of what comes later. */
    static long size(NestedXenHost host, String vm) throws IOException {
        String out = host.dom0("stat -c %s " + NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + vm + ".log 2>/dev/null || echo 0",
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

    /** The last counter value in the console from {@code from}, or -1. */
    static long lastCounter(NestedXenHost host, String vm, long from) throws IOException {
        List<long[]> c = counters(console(host, vm, from));
        return c.isEmpty() ? -1 : c.get(c.size() - 1)[0];
    }
}
