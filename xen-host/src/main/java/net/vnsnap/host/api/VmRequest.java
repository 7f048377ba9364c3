package net.vnsnap.host.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import net.vnsnap.host.driver.GuestUser;

/**
 * A VM to create on a host.
 *
 * @param name      unique on the host (the AM uses the sliver id)
 * @param slice     the slice it belongs to
 * @param memoryMiB guest RAM
 * @param vcpus     virtual CPUs
 * @param image     a disk image name the host offers ({@link HostInfo#images()})
 * @param nics      network interfaces, each attached to a segment of the slice
 * @param guestConfig small key/value settings for the guest (host name, workload), passed as the guest image expects
 * @param users     experimenters who log in over SSH (the complete list, possibly empty), or null for a VM without
 *                  guest access; with a list the host adds a control NIC with an SSH port forward
 */
public record VmRequest(String name, String slice, int memoryMiB, int vcpus, String image, List<NicRequest> nics,
        Map<String, String> guestConfig, List<GuestUser> users) {

    public VmRequest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(image, "image");
        nics = List.copyOf(nics == null ? List.of() : nics);
        guestConfig = Map.copyOf(guestConfig == null ? Map.of() : guestConfig);
        users = users == null ? null : List.copyOf(users);
    }

    /** A VM without guest access. */
    public VmRequest(String name, String slice, int memoryMiB, int vcpus, String image, List<NicRequest> nics,
            Map<String, String> guestConfig) {
        this(name, slice, memoryMiB, vcpus, image, nics, guestConfig, null);
    }

    /**
     * A NIC of the VM.
     *
     * @param id   device id, e.g. "net0"
     * @param mac  MAC address, kept across snapshot and restore
     * @param link the segment (link client_id) of this VM's slice it is attached to
     * @param ip   the guest's address with prefix, e.g. "10.10.1.1/24", or null
     */
    public record NicRequest(String id, String mac, String link, String ip) {
        public NicRequest {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(mac, "mac");
            Objects.requireNonNull(link, "link");
        }
    }
}
