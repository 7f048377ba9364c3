package net.vnsnap.host.driver;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A virtual network interface.
 *
 * @param id         the device's identifier (e.g. "net0")
 * @param mac        its MAC address, kept across snapshot and restore
 * @param attachment where its frames go
 */
public record NicSpec(String id, String mac, NetworkAttachment attachment) {
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]{0,15}");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

    public NicSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("NIC id '" + id + "' must match " + ID.pattern());
        }
        mac = Objects.requireNonNull(mac, "mac").toLowerCase(Locale.ROOT);
        if (!MAC.matcher(mac).matches()) {
            throw new IllegalArgumentException("bad MAC address " + mac);
        }
        Objects.requireNonNull(attachment, "attachment");
    }
}
