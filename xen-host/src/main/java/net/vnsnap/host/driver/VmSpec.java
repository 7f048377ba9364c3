package net.vnsnap.host.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A VM's configuration: everything a restore needs to rebuild an identical device model.
 *
 * @param name      unique on the host; letters, digits, '-', '_' and '.'
 * @param memoryMiB guest RAM
 * @param vcpus     virtual CPUs
 * @param boot      how the guest boots
 * @param disks     block devices, in device order
 * @param nics      network interfaces, in device order
 */
public record VmSpec(String name, int memoryMiB, int vcpus, BootSource boot, List<DiskSpec> disks, List<NicSpec> nics) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public VmSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("VM name '" + name + "' must match " + NAME.pattern());
        }
        if (memoryMiB < 16) {
            throw new IllegalArgumentException("memory must be at least 16 MiB, got " + memoryMiB);
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("vcpus must be at least 1, got " + vcpus);
        }
        Objects.requireNonNull(boot, "boot");
        disks = List.copyOf(disks == null ? List.of() : disks);
        nics = List.copyOf(nics == null ? List.of() : nics);
        if (boot instanceof BootSource.Disk && disks.isEmpty()) {
            throw new IllegalArgumentException("a disk-booted VM needs a disk");
        }
    }

    public VmSpec withName(String newName) {
        return new VmSpec(newName, memoryMiB, vcpus, boot, disks, nics);
    }

    public VmSpec withDisks(List<DiskSpec> newDisks) {
        return new VmSpec(name, memoryMiB, vcpus, boot, newDisks, nics);
    }

    public VmSpec withDisk(DiskSpec disk) {
        List<DiskSpec> d = new ArrayList<>(disks);
        d.add(disk);
        return withDisks(d);
    }

    public VmSpec withNic(NicSpec nic) {
        List<NicSpec> n = new ArrayList<>(nics);
        n.add(nic);
        return new VmSpec(name, memoryMiB, vcpus, boot, disks, n);
    }
}
