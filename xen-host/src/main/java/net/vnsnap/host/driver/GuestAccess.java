package net.vnsnap.host.driver;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The experimenters a guest lets in over SSH. A VM spec with guest access gets the channels that deliver
 * the list at boot and on {@link HypervisorDriver#updateUsers}; SSH itself runs on the VM's control NIC
 * ({@link NetworkAttachment.HostForward}).
 *
 * @param users the complete list, at most one entry per login
 */
public record GuestAccess(List<GuestUser> users) {
    public GuestAccess {
        users = List.copyOf(users == null ? List.of() : users);
        Set<String> seen = new HashSet<>();
        for (GuestUser u : users) {
            if (!seen.add(u.login())) {
                throw new IllegalArgumentException("login " + u.login() + " appears twice");
            }
        }
    }

    public static GuestAccess of(GuestUser... users) {
        return new GuestAccess(List.of(users));
    }
}
