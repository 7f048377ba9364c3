package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.UnsupportedModeException;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live pre-copy is refused on QEMU before 9.0 under TCG: QEMU wrapped to report version 7.2.22. */
class OldQemuTest {
    @TempDir
    Path tmp;

    @Test
    void liveModeIsRefusedOnQemu72WithTcg() throws Exception {
        TestGuest.assumeQemu();
        Path wrapper = tmp.resolve("qemu-7.2");
        Files.writeString(wrapper, "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'; exit 0; }\n"
                + "exec qemu-system-x86_64 \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        QemuConfig defaults = QemuConfig.defaults(tmp.resolve("run"));
        QemuConfig cfg = new QemuConfig(wrapper, defaults.qemuImg(), "tcg", "pc", tmp.resolve("run"), null, null);
        try (QemuDriver d = new QemuDriver(cfg)) {
            assertFalse(d.capabilities().modes().contains(SnapshotMode.LIVE));
            assertTrue(d.capabilities().modes().contains(SnapshotMode.COW));
            d.create(QemuVms.guest("old", 64, "10.0.7.1/24", QemuVms.loneTunnel()));
            UnsupportedModeException e = assertThrows(UnsupportedModeException.class,
                    () -> d.snapshot("old", SnapshotRequest.of(SnapshotMode.LIVE, tmp.resolve("m.img"), null)));
            assertTrue(e.getMessage().contains("7.2.22") && e.getMessage().contains("TCG"), e.getMessage());
        }
    }
}
