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

    /** The boot-time user list QEMU passes to the guest through fw_cfg. */
    Path usersFile() {
        return dir.resolve("users.txt");
    }

    /** The virtio-serial port for user-list updates (QEMU listens, the driver connects per update). */
    Path accessSocket() {
        return dir.resolve("acc.sock");
    }

    Path qemuLog() {
        return dir.resolve("qemu.log");
    }
}
