package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.access.NoCloudSeed;
import net.vnsnap.host.access.SeedImageWriter;
import net.vnsnap.host.driver.DiskSpec;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.snapshot.VmSnapshotService;
import net.vnsnap.host.store.SnapshotStore;
import net.vnsnap.host.testing.ConsoleLog;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real VM (the test guest, TCG) with a NoCloud seed attached as a read-only drive: the guest sees a read-only disk
 * whose ISO 9660 volume id is cidata and which holds the user-data; a snapshot and restore keep the drive.
 */
class CloudInitSeedVmTest {
    /** The guest prints the seed drive's volume id (primary volume descriptor, byte 32808), its ro flag and the marker count. */
    private static final String PROBE = "while true; do echo 3 >/proc/sys/vm/drop_caches; echo seed id=$(dd if=/dev/vda bs=1 skip=32808 count=6 "
            + "2>/dev/null) ro=$(cat /sys/block/vda/ro) marker=$(grep -a -c seedmarker42 /dev/vda); sleep 2; done";
    private static final Pattern SEED = Pattern.compile("^seed id=(\\S*) ro=(\\d) marker=(\\d+)$");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;
    private QemuDriver driver;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        TestGuest.dir();
        driver = new QemuDriver(QemuConfig.defaults(tmp.resolve("run")));
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void theGuestSeesTheReadOnlySeedBeforeAndAfterARestore() throws Exception {
        Path iso = tmp.resolve("seed.iso");
        NoCloudSeed seed = new NoCloudSeed("vnsnap-ci1-test", "ci1", List.of(new GuestUser("alice",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ybm9jbG91ZHNlZWR0ZXN0aW5nMDE seedmarker42")), List.of());
        try {
            new SeedImageWriter().write(seed, iso);
        } catch (SeedImageWriter.SeedImageException e) {
            assumeTrue(e.failure() != SeedImageWriter.Failure.TOOL_MISSING, "genisoimage is not installed (bin/vnsnap setup installs it): " + e.getMessage());
            throw e;
        }
        VmSpec spec = QemuVms.guest("ci1", 128, "10.0.9.1/24", QemuVms.loneTunnel(), PROBE)
                .withDisk(new DiskSpec("cidata", iso, "raw", true));
        ConsoleLog log = QemuVms.boot(driver, spec);
        Matcher m = log.await(SEED, 0, WAIT);
        assertEquals("cidata", m.group(1), log.tail(10));
        assertEquals("1", m.group(2), "the guest must see the seed drive read-only\n" + log.tail(10));
        assertEquals("1", m.group(3), "the drive must hold the user-data with the key\n" + log.tail(10));

        SnapshotStore store = SnapshotStore.open(tmp.resolve("store"));
        VmSnapshotService service = new VmSnapshotService(driver, store);
        VmSnapshotService.Taken taken = service.snapshot("ci1", SnapshotMode.COW, (vm, at) -> { });
        DiskSpec frozen = taken.result().frozenSpec().disks().get(0);
        assertTrue(frozen.readOnly(), "the frozen spec keeps the drive read-only: " + frozen);
        assertEquals(iso.toAbsolutePath(), frozen.image().toAbsolutePath(), "the seed itself is the snapshot's frozen image of the drive");
        assertEquals("raw", frozen.format());
        driver.destroy("ci1");

        service.restore(taken.manifest().id(), null, Duration.ofMinutes(2));
        assertEquals(VmState.RESTORED_PAUSED, driver.state("ci1"));
        assertTrue(driver.spec("ci1").disks().get(0).readOnly(), driver.spec("ci1").toString());
        ConsoleLog restored = QemuVms.console(driver, "ci1");
        int from = restored.lineCount();
        driver.resume("ci1");
        Matcher r = restored.await(SEED, from, WAIT);
        assertEquals("cidata", r.group(1), restored.tail(10));
        assertEquals("1", r.group(2), restored.tail(10));
        assertEquals("1", r.group(3), restored.tail(10));
        assertTrue(Files.isRegularFile(iso), "the frozen seed stays where the manifest references it");
    }
}
