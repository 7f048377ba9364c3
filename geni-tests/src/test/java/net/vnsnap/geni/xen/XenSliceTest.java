package net.vnsnap.geni.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.vnsnap.am.catalog.InMemorySnapshotCatalog;
import net.vnsnap.am.catalog.SliceSnapshotRecord;
import net.vnsnap.am.catalog.SliceSnapshotState;
import net.vnsnap.am.snapshot.CoordinatorSettings;
import net.vnsnap.am.snapshot.HostDirectory;
import net.vnsnap.am.snapshot.RestoreReport;
import net.vnsnap.am.snapshot.SliceSnapshotRequest;
import net.vnsnap.am.snapshot.SnapshotCoordinator;
import net.vnsnap.am.snapshot.SnapshotHandle;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.Dom0Shell;
import net.vnsnap.geni.testbed.NestedXenHost;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.rpc.RemoteHostAgent;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A slice on a real Xen 4.17 host (nested under QEMU TCG) with vnsnap-hostd's Xen driver: two domUs joined by a link
 * through hostd's switch ping each other; a slice snapshot through the coordinator (live where Xen offers it, else
 * stop); both destroyed; the slice restored; each domU's counter continues from the cut and the pair pings again.
 * The domUs are PV: PVH guests do not boot on this nested host (see {@link XenDomUs#KERNEL}), and Debian's 4.17.7
 * hypervisor has no shadow paging, so PV live saves are refused there and the round runs in stop mode. Runs only
 * with -Dvnsnap.xen.tests=true (or VNSNAP_XEN_TESTS=1).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class XenSliceTest {
    static final String SLICE = "urn:publicid:IDN+vnsnap:xentest+slice+pair";
    /** Nested Xen under TCG is slow: a PVH domU with a vif takes half a minute to create, a live save several seconds. */
    static final Duration SLOW = Duration.ofMinutes(8);

    private NestedXenHost host;
    private RemoteHostAgent agent;
    private SnapshotCoordinator coordinator;
    private ExecutorService pool;

    @BeforeAll
    void boot() throws Exception {
        assumeTrue(NestedXenHost.testsEnabled(), NestedXenHost.switchHint());
        // hostd's JVM crashed (SIGSEGV in the JIT) in 2 of 3 runs on nested Xen: kept out of CI until fixed (docs/xen-driver.md).
        assumeTrue(Boolean.getBoolean("vnsnap.xen.slice.tests"),
                "XenSliceTest is unstable (hostd JVM crash on nested Xen); run it with -Dvnsnap.xen.slice.tests=true");
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed (bin/lib/install-qemu.sh)");
        host = boot("xen-slice", "xen1");
        agent = host.agent(Duration.ofMinutes(5), Duration.ofMinutes(10));
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "xen-slice-hostcall");
            t.setDaemon(true);
            return t;
        });
        coordinator = new SnapshotCoordinator(Clock.systemUTC(), pool, HostDirectory.of(Map.of("xen1", agent)), new InMemorySnapshotCatalog(),
                () -> "xsnap-" + UUID.randomUUID().toString().substring(0, 8),
                CoordinatorSettings.defaults().withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(10)).withPollInterval(Duration.ofSeconds(1)));
    }

    /** Boots a nested Xen host whose hostd runs the Xen driver with PVH guests and the networked test domU image. */
    static NestedXenHost boot(String name, String hostId) throws Exception {
        return boot(name, hostId, true);
    }

    static NestedXenHost boot(String name, String hostId, boolean installDomU) throws Exception {
        Path dir = Path.of("target", name).toAbsolutePath();
        deleteTree(dir);
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//xen", Duration.ofDays(30), Clock.systemUTC());
        fed.issueServer("am", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        NestedXenHost h = NestedXenHost.boot(NestedXenHost.Settings.defaults(dir.resolve("host"), fed, hostId, fed.serverDirectory("am"))
                .withHostdConfig(Map.of("hypervisor", "xen", "xen.type", "pvh", "xen.log.level", "info",
                        "image.netdomu.kernel", NestedXenHost.GUEST_DIR + "/vmlinux", "image.netdomu.initrd", XenDomUs.INITRD)));
        try {
            System.out.printf("nested Xen host %s ready in %d s (attempt %d)%n", hostId, h.bootTime().toSeconds(), h.attemptsUsed());
            if (installDomU) {
                XenDomUs.install(h, dir);
            }
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (var w = Files.walk(dir)) {
                for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
        if (pool != null) {
            pool.shutdownNow();
        }
        if (host != null) {
            try {
                System.out.println("---- hostd log (tail) ----\n" + tail(host.hostdLog(), 60));
            } catch (Exception e) {
                System.out.println("no hostd log: " + e.getMessage());
            }
            host.close();
        }
    }

    static String tail(String s, int lines) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }

    static VmRequest domU(String name, int octet, int peer) {
        return new VmRequest(name, SLICE, 128, 1, "netdomu",
                List.of(new VmRequest.NicRequest("net0", "00:16:3e:00:09:0" + octet, "lan0", "10.0.9." + octet + "/24")),
                Map.of("peer", "10.0.9." + peer), null);
    }

    @Test
    void sliceSnapshotOfTwoLinkedDomUsRestoresFromTheCut() throws Exception {
        HostInfo info = agent.info();
        assertEquals("xen", info.hypervisor());
        assertEquals("pvh", info.accelerator());
        String caps = XenDomUs.dom0Ok(host, "xl info | grep virt_caps", Duration.ofSeconds(60));
        assertTrue(info.modes().contains(SnapshotMode.LIVE), "PVH live snapshots are offered with hap: " + caps + " " + info);
        assertTrue(info.modes().contains(SnapshotMode.STOP), info.toString());
        assertFalse(info.modes().contains(SnapshotMode.COW), "libxl has no copy-on-write save: " + info);
        SnapshotMode mode = info.modes().contains(SnapshotMode.LIVE) ? SnapshotMode.LIVE : SnapshotMode.STOP;

        agent.createSegment(new SegmentSpec(SLICE, "lan0", 501, ColourPolicy.HOLD_AND_RECORD));
        VmInfo a = agent.createVm(domU("xa", 1, 2));
        VmInfo b = agent.createVm(domU("xb", 2, 1));
        assertEquals(NestedXenHost.CONSOLE_LOG_DIR + "/guest-xa.log", a.consoleLog());
        assertEquals(VmState.RUNNING, b.state());
        // Both directions cross hostd's switch: the vifs are not bridged, only relayed to switch ports.
        XenDomUs.awaitPings(host, "xa", 0, 3, SLOW);
        XenDomUs.awaitPings(host, "xb", 0, 3, SLOW);
        String vifs = XenDomUs.dom0Ok(host, "ip -o link show | grep -o 'vif[0-9]*\\.[0-9]*' | sort -u; ls /sys/class/net/*/master 2>/dev/null | wc -l",
                Duration.ofSeconds(60));
        System.out.println("dom0 vifs and bridged interfaces: " + vifs.replace('\n', ' '));

        long beforeA = XenDomUs.lastCounter(host, "xa", 0);
        long beforeB = XenDomUs.lastCounter(host, "xb", 0);
        long t0 = System.nanoTime();
        SnapshotHandle h = coordinator.start(new SliceSnapshotRequest(SLICE, mode, false, "xen-" + mode,
                Map.of("xen1", List.of("xa", "xb"))));
        SliceSnapshotRecord rec = h.await(SLOW);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(SliceSnapshotState.COMPLETE, rec.state(), () -> "snapshot failed: " + h.failure());
        long completeA = XenDomUs.lastCounter(host, "xa", 0);
        long completeB = XenDomUs.lastCounter(host, "xb", 0);
        System.out.printf("%s slice snapshot on Xen: %d s; counters xa %d..%d, xb %d..%d; frames held=%d recorded=%d dropped=%d%n",
                mode, took.toSeconds(), beforeA, completeA, beforeB, completeB, rec.framesHeld(), rec.framesRecorded(), rec.framesDropped());
        // The originals run on after the snapshot.
        XenDomUs.awaitPings(host, "xa", XenDomUs.size(host, "xa"), 2, SLOW);

        agent.destroyVm("xa");
        agent.destroyVm("xb");
        long offA = XenDomUs.size(host, "xa");
        long offB = XenDomUs.size(host, "xb");
        RestoreReport r = coordinator.restore(rec.id());
        assertEquals(2, r.vmsByHost().get("xen1").size(), r.toString());
        for (VmInfo v : r.vmsByHost().get("xen1")) {
            assertEquals(VmState.RUNNING, v.state(), v.toString());
        }
        String afterA = XenDomUs.awaitPings(host, "xa", offA, 3, SLOW);
        String afterB = XenDomUs.awaitPings(host, "xb", offB, 3, SLOW);
        checkContinues("xa", afterA, beforeA, completeA);
        checkContinues("xb", afterB, beforeB, completeB);
        System.out.printf("restore on Xen: %d ms; first counters after restore xa %d, xb %d%n", r.duration().toMillis(),
                XenDomUs.counters(afterA).get(0)[0], XenDomUs.counters(afterB).get(0)[0]);

        // The image is an xl save file: xl itself restores xa from it (paused, then unpaused) and it continues from the cut.
        agent.destroyVm("xa");
        agent.destroyVm("xb");
        String image = XenDomUs.dom0Ok(host, "ls /tmp/vnsnap-hostd/snapshots/" + rec.id() + "/vms/xa-*/memory.img", Duration.ofSeconds(60)).strip();
        long offXl = XenDomUs.size(host, "xa");
        Dom0Shell.Result xl = host.dom0("setsid xl restore -p " + image + " </dev/null >/tmp/xl-restore.out 2>&1; echo rc=$?; cat /tmp/xl-restore.out",
                SLOW);
        assertTrue(xl.output().contains("rc=0"), "xl restore failed: " + xl.output());
        assertTrue(XenDomUs.dom0Ok(host, "xl list xa", Duration.ofSeconds(60)).contains("--p"), "xl restore -p leaves xa paused");
        XenDomUs.dom0Ok(host, "setsid xl unpause xa </dev/null >/dev/null 2>&1", Duration.ofSeconds(60));
        XenDomUs.awaitCounters(host, "xa", offXl, 3, SLOW);
        String afterXl = XenDomUs.console(host, "xa", offXl);
        checkContinues("xa (xl restore)", afterXl, beforeA, completeA);
        XenDomUs.dom0(host, "setsid xl destroy xa </dev/null >/dev/null 2>&1", Duration.ofSeconds(120));
        System.out.printf("xl restore of the same image: first counter %d%n", XenDomUs.counters(afterXl).get(0)[0]);
    }

    /** The restored guest did not reboot and its first counter lies after the snapshot began and by its completion. */
    static void checkContinues(String vm, String after, long before, long atComplete) {
        assertFalse(after.contains("DOMU-BOOTED"), vm + " booted again instead of continuing:\n" + after);
        long first = XenDomUs.counters(after).get(0)[0];
        assertTrue(first > before && first <= atComplete + 1,
                vm + ": first counter after restore " + first + " is not in (" + before + ", " + (atComplete + 1) + "]");
    }
}
