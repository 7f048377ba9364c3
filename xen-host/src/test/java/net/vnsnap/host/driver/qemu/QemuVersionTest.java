package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class QemuVersionTest {
    @Test
    void parsesDebianVersionLines() {
        assertEquals(new QemuVersion(10, 0, 2),
                QemuVersion.parse("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright ..."));
        assertEquals(new QemuVersion(7, 2, 22), QemuVersion.parse("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"));
        assertThrows(IllegalArgumentException.class, () -> QemuVersion.parse("no version here"));
    }

    @Test
    void preCopyUnderTcgNeedsQemu9() {
        assertFalse(new QemuVersion(7, 2, 22).preCopySafeUnderTcg());
        assertFalse(new QemuVersion(8, 2, 0).preCopySafeUnderTcg());
        assertTrue(new QemuVersion(9, 0, 0).preCopySafeUnderTcg());
        assertTrue(new QemuVersion(10, 0, 2).compareTo(new QemuVersion(9, 2, 0)) > 0);
    }

    @Test
    void migrationUriUsesFileOnNewQemuAndQuotedCatOnOld() {
        Path p = Path.of("/tmp/it's here/mem.img");
        assertEquals("file:/tmp/it's here/mem.img", QemuSnapshot.uri(new QemuVersion(10, 0, 2), p, true));
        assertEquals("exec:cat > '/tmp/it'\\''s here/mem.img'", QemuSnapshot.uri(new QemuVersion(7, 2, 22), p, true));
        assertEquals("exec:cat '/tmp/it'\\''s here/mem.img'", QemuSnapshot.uri(new QemuVersion(7, 2, 22), p, false));
    }
}
