package net.vnsnap.host.driver.xen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.CutHook;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.DriverException;
import net.vnsnap.host.driver.GuestAccess;
import net.vnsnap.host.driver.NetworkAttachment;
import net.vnsnap.host.driver.NicSpec;
import net.vnsnap.host.driver.NoSuchVmException;
import net.vnsnap.host.driver.RestoreFailedException;
import net.vnsnap.host.driver.RestoreRequest;
import net.vnsnap.host.driver.RestoreResult;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.UnsupportedFeatureException;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** XenDriver's logic against the in-memory Xen behind the raw layer: life cycle, snapshot sequence, cut, restore, errors. */
class XenDriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @TempDir
    Path dir;
    private FakeXen xen;
    private final Map<String, QueueLink> vifs = new ConcurrentHashMap<>();
    private XenDriver driver;

    @BeforeEach
    void setUp() throws Exception {
        xen = new FakeXen();
        driver = open(GuestType.PVH);
    }

    private XenDriver open(GuestType type) throws DriverException {
        XenConfig cfg = new XenConfig(type, dir.resolve("run"), dir.resolve("console"), "warn", null, null);
        return new XenDriver(cfg, xen.libraries(), ifname -> vifs.computeIfAbsent(ifname, QueueLink::new),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    private VmSpec spec(String name, int port) throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinuz"), "kernel");
        Path initrd = Files.writeString(dir.resolve("initrd"), "initrd");
        NetworkAttachment.UdpTunnel t = new NetworkAttachment.UdpTunnel("127.0.0.1", port, "127.0.0.1", port + 1);
        return new VmSpec(name, 128, 2, new BootSource.Kernel(kernel, initrd, "console=hvc0 vm.name=" + name), List.of(),
                List.of(new NicSpec("net0", "00:16:3e:00:00:02", t)));
    }

    @Test
    void createsPvhDomainFromGeneratedJsonPausedUntilStart() throws Exception {
        int port = freePortPair();
        driver.create(spec("vm1", port));
        FakeXen.Dom d = xen.byName("vm1");
        assertNotNull(d);
        assertEquals(VmState.CREATED, driver.state("vm1"));
        JsonNode cfg = JSON.readTree(xen.lastCreateJson);
        assertEquals("pvh", cfg.path("c_info").path("type").asText());
        assertEquals(131072, cfg.path("b_info").path("max_memkb").asLong());
        assertEquals("[0,1]", cfg.path("b_info").path("avail_vcpus").toString());
        assertTrue(cfg.path("b_info").has("type.pvh"));
        assertEquals("00:16:3e:00:00:02", cfg.path("nics").get(0).path("mac").asText());
        assertEquals(dir.resolve("run").resolve(XenDriver.VIF_SCRIPT).toAbsolutePath().toString(),
                cfg.path("nics").get(0).path("script").asText());
        assertTrue(Files.isExecutable(dir.resolve("run").resolve(XenDriver.VIF_SCRIPT)));
        assertTrue(vifs.containsKey("vif" + d.domid + ".0"), "relay attached to the domain's vif: " + vifs.keySet());

        driver.start("vm1");
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        driver.pause("vm1");
        assertEquals(VmState.PAUSED, driver.state("vm1"));
        driver.resume("vm1");
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        assertEquals(Path.of(dir.resolve("console") + "/guest-vm1.log"), driver.consoleLog("vm1").orElseThrow());

        driver.destroy("vm1");
        assertTrue(vifs.get("vif" + d.domid + ".0").closed, "relay stopped on destroy");
        assertTrue(xen.domains.isEmpty());
        assertThrows(NoSuchVmException.class, () -> driver.state("vm1"));
        driver.destroy("vm1");
        assertEquals(xen.configInits, xen.configDisposes, "every libxl_domain_config is disposed");
        assertTrue(xen.unfreed.isEmpty(), "every libxl string is freed");
    }

    @Test
    void relaysFramesBetweenVifAndTunnel() throws Exception {
        int port = freePortPair();
        try (DatagramSocket sw = new DatagramSocket(new InetSocketAddress("127.0.0.1", port + 1))) {
            sw.setSoTimeout(5000);
            driver.create(spec("vm1", port));
            QueueLink vif = vifs.get("vif" + xen.byName("vm1").domid + ".0");
            byte[] frame = new byte[60];
            frame[0] = (byte) 0xff;
            frame[59] = 42;
            vif.fromGuest.add(frame);
            DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
            sw.receive(p);
            assertEquals(60, p.getLength(), "one frame per datagram");
            assertEquals(42, p.getData()[59]);
            byte[] back = new byte[64];
            back[13] = 7;
            sw.send(new DatagramPacket(back, back.length, new InetSocketAddress("127.0.0.1", port)));
            byte[] got = vif.toGuest.poll(5, TimeUnit.SECONDS);
            assertNotNull(got, "the switch's frame reached the guest");
            assertArrayEquals(back, got);
        }
    }

    @Test
    void liveSnapshotWritesXlImageCutsWhileSuspendedAndResumesWithSuspendCancel() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        int domid = xen.byName("vm1").domid;
        List<String> hookSaw = new ArrayList<>();
        Path image = dir.resolve("snap/memory.img");
        Files.createDirectories(image.getParent());
        CutHook hook = new CutHook() {
            @Override
            public void atCut(String vm, Instant pausedAt) {
                hookSaw.add(vm + " suspended=" + xen.domains.get(domid).suspended() + " at=" + pausedAt);
            }

            @Override
            public void beforePause(String vm) {
                hookSaw.add("beforePause calls=" + xen.calls.stream().filter(c -> c.startsWith("libxl_domain_suspend")).count());
            }

            @Override
            public void afterResume(String vm) {
                hookSaw.add("afterResume calls=" + xen.calls.stream().filter(c -> c.startsWith("libxl_domain_resume")).count());
            }
        };
        List<String> phases = new ArrayList<>();
        SnapshotResult r = driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, image, hook)
                .withProgress((vm, transferred, total, phase) -> phases.add(phase)));
        assertEquals(List.of("beforePause calls=1", "vm1 suspended=true at=" + NOW, "afterResume calls=1"), hookSaw,
                "the hold starts at libxl's suspend request, one cut while suspended, the hold ends after the resume");
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        assertEquals(SnapshotMode.LIVE, r.mode());
        assertEquals(NOW, r.cutAt());
        assertTrue(r.downtime().toMillis() >= 0 && r.downtime().compareTo(r.total()) <= 0, r.toString());
        assertEquals("completed", phases.get(phases.size() - 1));
        List<String> seq = xen.calls.stream().filter(c -> c.startsWith("libxl_domain_suspend") || c.startsWith("libxl_domain_resume")
                || c.startsWith("domain ")).toList();
        assertEquals(List.of("libxl_domain_suspend " + domid + " flags=2", "domain " + domid + " asked to suspend",
                "domain " + domid + " suspended", "libxl_domain_resume " + domid + " suspend_cancel=1"), seq);
        XlSaveHeader h = XlSaveHeader.read(image);
        JsonNode saved = JSON.readTree(h.configJson());
        assertEquals(0, saved.path("c_info").path("domid").asInt(), "domid not pinned, as xl save writes it");
        assertEquals("vm1", saved.path("c_info").path("name").asText());
        byte[] all = Files.readAllBytes(image);
        String stream = new String(all, (int) h.length(), all.length - (int) h.length(), StandardCharsets.ISO_8859_1);
        assertTrue(stream.startsWith(FakeXen.STREAM_MAGIC + "pre-copy pages of vm1\nfinal pages of vm1\n"), stream);
        assertEquals(all.length, r.bytesWritten());
        assertEquals(0, xen.openFiles(), "image descriptor closed");
    }

    /** A cut hook that notes the cut and the start of the hold (with whether the domain was suspended then). */
    private CutHook holdOrder(List<String> order, int domid) {
        return new CutHook() {
            @Override
            public void atCut(String vm, Instant pausedAt) {
                order.add("cut");
            }

            @Override
            public void beforePause(String vm) {
                order.add("beforePause suspended=" + xen.domains.get(domid).suspended());
            }
        };
    }

    /** A pre-copy that waits up to {@code waitNanos} for something in {@code order} (the hold), then notes itself. */
    private static java.util.function.IntConsumer preCopyAwaitingTheHold(List<String> order, long waitNanos) {
        return d -> {
            long end = System.nanoTime() + waitNanos;
            while (order.isEmpty() && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            order.add("still pre-copying");
        };
    }

    @Test
    void savesOfTwoDomainsRunAtOnceOnTheirOwnContextsWhichAreReused() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.create(spec("vm2", freePortPair()));
        driver.start("vm1");
        driver.start("vm2");
        long contextsBefore = xen.calls.stream().filter(c -> c.startsWith("libxl_ctx_alloc")).count();
        // Each pre-copy waits for the other's to begin: on one shared context the second would wait for the first to end.
        java.util.concurrent.CountDownLatch bothPreCopying = new java.util.concurrent.CountDownLatch(2);
        List<Boolean> overlapped = java.util.Collections.synchronizedList(new ArrayList<>());
        xen.duringPreCopy = domid -> {
            bothPreCopying.countDown();
            try {
                overlapped.add(bothPreCopying.await(5, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("a.img"), CutHook.NONE)));
            var second = pool.submit(() -> driver.snapshot("vm2", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("b.img"), CutHook.NONE)));
            first.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(true, true), overlapped, "both pre-copies ran at the same time");
        assertEquals(2, driver.saveContextsOpened());
        xen.duringPreCopy = domid -> { };
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("c.img"), CutHook.NONE));
        assertEquals(2, driver.saveContextsOpened(), "a later save reuses an idle context");
        assertEquals(contextsBefore + 2, xen.calls.stream().filter(c -> c.startsWith("libxl_ctx_alloc")).count());
        driver.close();
        driver = null;
        assertEquals(3, xen.calls.stream().filter(c -> c.startsWith("libxl_ctx_free")).count(), "the driver's context and both siblings");
        assertEquals(1, xen.calls.stream().filter(c -> c.startsWith("xtl_logger_destroy")).count(), "the shared logger, once");
    }

    @Test
    void liveSnapshotHoldsFramesFromLibxlsSuspendRequestNotDuringThePreCopy() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        int domid = xen.byName("vm1").domid;
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CutHook hook = holdOrder(order, domid);
        // Even a first pass of all of RAM does not start the hold: only libxl's request to the guest does.
        xen.firstPassBytes = 128L << 20;
        xen.suspendRequestMillis = 300;
        xen.duringPreCopy = preCopyAwaitingTheHold(order, TimeUnit.MILLISECONDS.toNanos(500));
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live.img"), hook));
        assertEquals(List.of("still pre-copying", "beforePause suspended=false", "cut"), order,
                "the hold begins when libxl asks the guest to suspend, while the guest still runs");
        assertEquals(0, xen.openWatches(), "the watch is removed after the snapshot");
        assertTrue(xen.calls.contains("xs_close"), "its xenstore connection is closed");
        assertTrue(xen.unfreed.isEmpty(), "every watch event freed: " + xen.unfreed.size());
    }

    @Test
    void framesStillInDom0sQueuesAtTheCutGoToTheHookBeforeTheCut() throws Exception {
        int port = freePortPair();
        driver.create(spec("vm1", port));
        driver.start("vm1");
        QueueLink vif = vifs.get("vif" + xen.byName("vm1").domid + ".0");
        try (DatagramSocket sw = new DatagramSocket(new InetSocketAddress("127.0.0.1", port + 1))) {
            for (int i = 1; i <= 4; i++) {
                byte[] f = new byte[60];
                f[59] = (byte) i;
                sw.send(new java.net.DatagramPacket(f, f.length, new InetSocketAddress("127.0.0.1", port)));
            }
            for (int i = 1; i <= 4; i++) {
                assertNotNull(vif.toGuest.poll(5, TimeUnit.SECONDS), "frame " + i + " written to the vif");
            }
        }
        vif.taken = 1;
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CutHook hook = new CutHook() {
            @Override
            public void undeliveredAtCut(String vm, String nic, List<byte[]> frames) {
                order.add(vm + "/" + nic + " " + frames.stream().map(f -> Byte.toString(f[59])).toList());
            }

            @Override
            public void atCut(String vm, Instant pausedAt) {
                order.add("cut");
            }
        };
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live.img"), hook));
        assertEquals(List.of("vm1/net0 [2, 3, 4]", "cut"), order, "the three frames netback had not taken, before the cut");

        order.clear();
        vif.taken = 4;
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live2.img"), hook));
        assertEquals(List.of("cut"), order, "nothing waiting: no call");

        // Two frames sit in the guest's receive ring, unprocessed, and one in dom0's queue: all three, oldest first.
        order.clear();
        vif.taken = 3;
        vif.ringSlots = 2;
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live3.img"), hook));
        assertEquals(List.of("vm1/net0 [2, 3, 4]", "cut"), order, "frames the guest had not processed precede the queued one");
    }

    @Test
    void withoutXenstoreALiveSnapshotHoldsFramesFromTheEndOfTheFirstPass() throws Exception {
        xen.xenstoreUp = false;
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        int domid = xen.byName("vm1").domid;
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CutHook hook = holdOrder(order, domid);
        // The first pass writes all 128 MiB of RAM; the domain then still runs while libxl copies dirtied pages.
        xen.firstPassBytes = 128L << 20;
        xen.duringPreCopy = preCopyAwaitingTheHold(order, TimeUnit.SECONDS.toNanos(5));
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live.img"), hook));
        assertEquals(List.of("beforePause suspended=false", "still pre-copying", "cut"), order,
                "the hold begins once the image holds all of RAM, while the domain still runs");

        order.clear();
        xen.firstPassBytes = 1L << 20;
        xen.duringPreCopy = d -> order.add("still pre-copying");
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("live2.img"), hook));
        assertEquals(List.of("still pre-copying", "beforePause suspended=true", "cut"), order,
                "a first pass short of RAM's size: no hold during the pre-copy, the hold starts before the cut");
    }

    @Test
    void stopSnapshotCallsBeforePauseFirstAndSuspendsWithoutLiveFlag() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        int domid = xen.byName("vm1").domid;
        List<String> order = new ArrayList<>();
        CutHook hook = new CutHook() {
            @Override
            public void atCut(String vm, Instant pausedAt) {
                order.add("cut suspended=" + xen.domains.get(domid).suspended());
            }

            @Override
            public void beforePause(String vm) {
                order.add("beforePause calls=" + xen.calls.stream().filter(c -> c.startsWith("libxl_domain_suspend")).count());
            }

            @Override
            public void afterResume(String vm) {
                order.add("afterResume running=" + !xen.domains.get(domid).suspended());
            }
        };
        driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.STOP, dir.resolve("stop.img"), hook));
        assertEquals(List.of("beforePause calls=0", "cut suspended=true", "afterResume running=true"), order);
        assertTrue(xen.calls.contains("libxl_domain_suspend " + domid + " flags=0"), xen.calls.toString());
        assertTrue(xen.calls.contains("libxl_domain_resume " + domid + " suspend_cancel=1"));
        assertEquals(VmState.RUNNING, driver.state("vm1"));
    }

    @Test
    void diskCopyIsTheStateAtTheCut() throws Exception {
        Path disk = Files.writeString(dir.resolve("disk0.raw"), "before");
        VmSpec s = spec("vm1", freePortPair()).withDisk(new DiskSpec("disk0", disk, "raw"));
        driver.create(s);
        driver.start("vm1");
        JsonNode cfg = JSON.readTree(xen.lastCreateJson).path("disks").get(0);
        assertEquals("xvda", cfg.path("vdev").asText());
        assertEquals(disk.toAbsolutePath().toString(), cfg.path("pdev_path").asText());
        xen.duringPreCopy = d -> write(disk, "written during pre-copy");
        SnapshotResult r = driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("m.img"), CutHook.NONE));
        Files.writeString(disk, "after the snapshot");
        Path frozen = r.frozenSpec().disks().get(0).image();
        assertEquals("written during pre-copy", Files.readString(frozen));
        assertEquals(disk, driver.spec("vm1").disks().get(0).image(), "the VM keeps writing its own disk");

        driver.destroy("vm1");
        RestoreResult rr = driver.restore(new RestoreRequest(r.frozenSpec(), dir.resolve("m.img"), null));
        Path active = rr.activeSpec().disks().get(0).image();
        assertEquals("written during pre-copy", Files.readString(active));
        assertFalse(active.equals(frozen), "the restored VM writes a copy, never the snapshot's disk");
        JsonNode restored = JSON.readTree(xen.byName("vm1").configJson);
        assertEquals(active.toAbsolutePath().toString(), restored.path("disks").get(0).path("pdev_path").asText());
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void restoreReadsStreamAfterHeaderAndStaysPausedUntilResume() throws Exception {
        int port = freePortPair();
        driver.create(spec("vm1", port));
        driver.start("vm1");
        Path image = dir.resolve("m.img");
        SnapshotResult r = driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, image, CutHook.NONE));
        int oldDomid = xen.byName("vm1").domid;
        driver.destroy("vm1");
        driver.restore(new RestoreRequest(r.frozenSpec(), image, null));
        FakeXen.Dom d = xen.byName("vm1");
        assertTrue(d.domid != oldDomid);
        assertTrue(xen.restoredStream.startsWith(FakeXen.STREAM_MAGIC), "libxl read from just after the xl header");
        assertEquals(2, xen.lastRestoreParams.stream_version);
        assertEquals(0, xen.lastRestoreParams.checkpointed_stream);
        assertTrue(xen.calls.stream().anyMatch(c -> c.contains("send_back_fd=-1")));
        JsonNode cfg = JSON.readTree(d.configJson);
        assertFalse(cfg.path("c_info").path("uuid").asText().isEmpty(), "the restored domain has a UUID");
        assertFalse(cfg.path("c_info").path("uuid").asText().equals(JSON.readTree(XlSaveHeader.read(image).configJson())
                .path("c_info").path("uuid").asText()), "fresh UUID for the restored domain");
        assertEquals(VmState.RESTORED_PAUSED, driver.state("vm1"));
        assertTrue(vifs.containsKey("vif" + d.domid + ".0"), "relay re-attached to the new vif");
        assertTrue(vifs.get("vif" + oldDomid + ".0").closed);
        driver.resume("vm1");
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        assertEquals(0, xen.openFiles());
    }

    @Test
    void failedSuspendLeavesDomainRunningAndDeletesImage() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        xen.failNext("libxl_domain_suspend", LibxlError.GUEST_TIMEDOUT.code());
        Path image = dir.resolve("m.img");
        SnapshotFailedException e = assertThrows(SnapshotFailedException.class,
                () -> driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.LIVE, image, CutHook.NONE)));
        assertTrue(e.getMessage().contains("ERROR_GUEST_TIMEDOUT"), e.getMessage());
        assertEquals(VmState.RUNNING, e.stateAfter());
        assertFalse(Files.exists(image));
        assertEquals(VmState.RUNNING, driver.state("vm1"));
        assertEquals(0, xen.openFiles());
    }

    @Test
    void failingCutHookAbortsAndResumes() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        Path image = dir.resolve("m.img");
        SnapshotFailedException e = assertThrows(SnapshotFailedException.class, () -> driver.snapshot("vm1",
                SnapshotRequest.of(SnapshotMode.LIVE, image, (vm, at) -> {
                    throw new IllegalStateException("switch port gone");
                })));
        assertTrue(e.getMessage().contains("switch port gone"), e.getMessage());
        assertEquals(VmState.RUNNING, e.stateAfter());
        assertFalse(xen.byName("vm1").suspended(), "resumed after the failed cut");
        assertFalse(Files.exists(image));
    }

    @Test
    void cowIsUnsupportedAndLiveNeedsLogDirty() throws Exception {
        assertEquals(Set.of(SnapshotMode.LIVE, SnapshotMode.STOP), driver.capabilities().modes());
        assertEquals("xen", driver.capabilities().hypervisor());
        assertEquals("4.17.5", driver.capabilities().version());
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        assertThrows(UnsupportedModeException.class,
                () -> driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.COW, dir.resolve("c.img"), CutHook.NONE)));
        driver.close();
        // A PV host without shadow paging (Debian's 4.17.7 security build): no live snapshots.
        xen.capShadow = false;
        driver = open(GuestType.PV);
        assertEquals(Set.of(SnapshotMode.STOP), driver.capabilities().modes());
        assertEquals("pv", driver.capabilities().accelerator());
        driver.create(spec("vm2", freePortPair()));
        driver.start("vm2");
        assertThrows(UnsupportedModeException.class,
                () -> driver.snapshot("vm2", SnapshotRequest.of(SnapshotMode.LIVE, dir.resolve("l.img"), CutHook.NONE)));
        assertFalse(xen.calls.stream().anyMatch(c -> c.startsWith("libxl_domain_suspend")), "refused before touching the domain");
    }

    @Test
    void badInputIsRefusedWithoutCreatingAnything() throws Exception {
        VmSpec withUsers = spec("vm1", freePortPair()).withAccess(new GuestAccess(List.of()));
        assertThrows(UnsupportedFeatureException.class, () -> driver.create(withUsers));
        VmSpec qcow = spec("vm2", freePortPair()).withDisk(new DiskSpec("disk0", dir.resolve("d.qcow2"), "qcow2"));
        DriverException e = assertThrows(DriverException.class, () -> driver.create(qcow));
        assertTrue(e.getMessage().contains("raw"), e.getMessage());
        xen.failNext("libxl_domain_create_new", LibxlError.INVAL.code());
        DriverException e2 = assertThrows(DriverException.class, () -> driver.create(spec("vm3", freePortPair())));
        assertTrue(e2.getMessage().contains("ERROR_INVAL"), e2.getMessage());
        assertTrue(xen.domains.isEmpty());
        assertThrows(RestoreFailedException.class,
                () -> driver.restore(new RestoreRequest(spec("vm4", freePortPair()), Files.writeString(dir.resolve("junk.img"), "junk"), null)));
        assertTrue(xen.domains.isEmpty());
    }

    @Test
    void failedRestoreDestroysTheHalfBuiltDomain() throws Exception {
        driver.create(spec("vm1", freePortPair()));
        driver.start("vm1");
        Path image = dir.resolve("m.img");
        SnapshotResult r = driver.snapshot("vm1", SnapshotRequest.of(SnapshotMode.STOP, image, CutHook.NONE));
        driver.destroy("vm1");
        xen.failNext("libxl_domain_create_restore", LibxlError.FAIL.code());
        RestoreFailedException e = assertThrows(RestoreFailedException.class,
                () -> driver.restore(new RestoreRequest(r.frozenSpec(), image, null)));
        assertTrue(e.getMessage().contains("ERROR_FAIL"), e.getMessage());
        assertTrue(xen.domains.isEmpty(), "half-restored domain destroyed: " + xen.domains.keySet());
        assertThrows(NoSuchVmException.class, () -> driver.state("vm1"));
    }

    @Test
    void noDom0MeansAClearError() {
        xen.failNext("libxl_ctx_alloc", LibxlError.FAIL.code());
        DriverException e = assertThrows(DriverException.class, () -> open(GuestType.PVH));
        assertTrue(e.getMessage().contains("dom0"), e.getMessage());
    }

    /** Two consecutive free UDP ports on loopback (the NIC's end and the "switch"). */
    static int freePortPair() throws Exception {
        for (int i = 0; i < 50; i++) {
            try (DatagramSocket a = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
                int p = a.getLocalPort();
                if (p < 65535) {
                    try (DatagramSocket b = new DatagramSocket(p + 1, java.net.InetAddress.getLoopbackAddress())) {
                        return p;
                    } catch (java.net.SocketException ignored) {
                        // try another pair
                    }
                }
            }
        }
        throw new IllegalStateException("no free UDP port pair");
    }
}
