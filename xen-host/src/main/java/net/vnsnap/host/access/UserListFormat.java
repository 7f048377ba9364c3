package net.vnsnap.host.access;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.GuestUser;

/**
 * The line format of the user list a guest reads at boot (fw_cfg) and on update (virtio-serial), and of its
 * acknowledgement; described in docs/guest-access.md. Lines, so a busybox shell can parse it.
 */
public final class UserListFormat {
    /** The first line's keyword and format version. */
    public static final String HEADER = "vnsnap-users 1";
    private static final Pattern ACK = Pattern.compile("(ok|error) (\\d+)(?: (.*))?");

    /**
     * A guest's answer to one list.
     *
     * @param seq    the list's sequence number
     * @param ok     whether the guest applied it
     * @param detail "users=N" when applied, else the guest's reason
     */
    public record Ack(long seq, boolean ok, String detail) {
    }

    private UserListFormat() {
    }

    /**
     * Encodes a complete list.
     *
     * @param seq         echoed in the acknowledgement, to match answers to requests
     * @param controlMacs MACs of the control NICs the guest brings up by DHCP and serves SSH on (boot only)
     */
    public static String encode(long seq, List<String> controlMacs, List<GuestUser> users) {
        StringBuilder b = new StringBuilder(HEADER).append(' ').append(seq).append('\n');
        for (String mac : controlMacs) {
            b.append("ctl ").append(mac.toLowerCase(Locale.ROOT)).append('\n');
        }
        for (GuestUser u : users) {
            b.append("user ").append(u.login()).append('\n');
            for (String k : u.keys()) {
                b.append("key ").append(k).append('\n');
            }
        }
        return b.append("end\n").toString();
    }

    /** Parses one acknowledgement line; throws IllegalArgumentException for anything else. */
    public static Ack parseAck(String line) {
        Matcher m = ACK.matcher(line.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a user-list acknowledgement: '" + line.strip() + "'");
        }
        return new Ack(Long.parseLong(m.group(2)), "ok".equals(m.group(1)), m.group(3) == null ? "" : m.group(3));
    }
}
