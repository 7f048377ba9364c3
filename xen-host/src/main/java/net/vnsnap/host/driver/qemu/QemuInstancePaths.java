package net.vnsnap.host.driver.qemu;

import java.nio.file.Path;

/** The files of one QEMU process: kept short because UNIX socket paths are limited to 107 bytes. */
record QemuInstancePaths(Path dir) {
    Path qmpSocket() {
        return dir.resolve("qmp.sock");
    }

    Path serialSocket() {
        return dir.resolve("ser.sock");
    }

    Path consoleLog() {
        return dir.resolve("console.log");
    }

    Path qemuLog() {
        return dir.resolve("qemu.log");
    }
}
