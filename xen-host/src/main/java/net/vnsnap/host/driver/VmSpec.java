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
 * @param access    experimenter SSH users, or null for a VM without the guest-access channels (they are part
 *                  of the device model, so a restore must keep this null or non-null as it was)
 */
public record VmSpec(String name, int memoryMiB, int vcpus, BootSource boot, List<DiskSpec> disks, List<NicSpec> nics,
                     GuestAccess access) {

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

    /** A VM without guest access. */
    public VmSpec(String name, int memoryMiB, int vcpus, BootSource boot, List<DiskSpec> disks, List<NicSpec> nics) {
        this(name, memoryMiB, vcpus, boot, disks, nics, null);
    }

    public VmSpec withName(String newName) {
        return new VmSpec(newName, memoryMiB, vcpus, boot, disks, nics, access);
    }

    public VmSpec withDisks(List<DiskSpec> newDisks) {
        return new VmSpec(name, memoryMiB, vcpus, boot, newDisks, nics, access);
    }

    public VmSpec withDisk(DiskSpec disk) {
        List<DiskSpec> d = new ArrayList<>(disks);
        d.add(disk);
        return withDisks(d);
    }

    public VmSpec withNic(NicSpec nic) {
        List<NicSpec> n = new ArrayList<>(nics);
        n.add(nic);
        return new VmSpec(name, memoryMiB, vcpus, boot, disks, n, access);
    }

    public VmSpec withAccess(GuestAccess newAccess) {
        return new VmSpec(name, memoryMiB, vcpus, boot, disks, nics, newAccess);
    }

    /**
     * The same VM with the given NIC's host forward moved to another host port, e.g. for a restore while the
     * original still holds the old port.
     */
    public VmSpec withHostForwardPort(String nicId, int hostPort) {
        boolean found = false;
        List<NicSpec> n = new ArrayList<>();
        for (NicSpec nic : nics) {
            if (nic.id().equals(nicId) && nic.attachment() instanceof NetworkAttachment.HostForward f) {
                nic = new NicSpec(nic.id(), nic.mac(), f.withHostPort(hostPort));
                found = true;
            }
            n.add(nic);
        }
        if (!found) {
            throw new IllegalArgumentException(name + " has no host-forward NIC " + nicId);
        }
        return new VmSpec(name, memoryMiB, vcpus, boot, disks, n, access);
    }
}
