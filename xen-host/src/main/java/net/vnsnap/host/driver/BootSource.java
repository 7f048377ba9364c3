package net.vnsnap.host.driver;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.nio.file.Path;
import java.util.Objects;

/** How a VM boots: a kernel with an initrd and command line, or the first disk. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = BootSource.Kernel.class, name = "kernel"),
        @JsonSubTypes.Type(value = BootSource.Disk.class, name = "disk")})
public sealed interface BootSource {

    /** Direct kernel boot (QEMU {@code -kernel}, Xen PVH {@code kernel=}). */
    record Kernel(Path kernel, Path initrd, String cmdline) implements BootSource {
        public Kernel {
            Objects.requireNonNull(kernel, "kernel");
            cmdline = cmdline == null ? "" : cmdline;
        }
    }

    /** Boot from the first disk through the firmware. */
    record Disk() implements BootSource {
    }
}
