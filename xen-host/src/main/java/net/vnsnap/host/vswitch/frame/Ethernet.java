package net.vnsnap.host.vswitch.frame;

import java.nio.ByteBuffer;
import java.util.Locale;

/** Reads Ethernet header fields straight from a buffer, with MAC addresses packed into the low 48 bits of a long. */
public final class Ethernet {

    /** Destination MAC, source MAC and EtherType. */
    public static final int HEADER_BYTES = 14;

    /** The broadcast address ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private Ethernet() {
    }

    /** The MAC address stored at {@code offset} (absolute, the buffer's position is untouched). */
    public static long mac(ByteBuffer b, int offset) {
        return ((b.getShort(offset) & 0xFFFFL) << 32) | (b.getInt(offset + 2) & 0xFFFF_FFFFL);
    }

    /** Whether the address at {@code offset} has the group bit set (broadcast or multicast). */
    public static boolean isGroup(ByteBuffer b, int offset) {
        return (b.get(offset) & 0x01) != 0;
    }

    /** Whether a packed MAC address has the group bit set. */
    public static boolean isGroup(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /** Writes a packed MAC address at {@code offset}. */
    public static void putMac(ByteBuffer b, int offset, long mac) {
        b.putShort(offset, (short) (mac >>> 32));
        b.putInt(offset + 2, (int) mac);
    }

    /** The usual colon-separated lower-case form, for logs and counters. */
    public static String format(long mac) {
        StringBuilder s = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (shift != 40) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", (mac >>> shift) & 0xFF));
        }
        return s.toString();
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}. */
    public static long parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (String p : parts) {
            if (p.length() != 2) {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            mac = (mac << 8) | Integer.parseInt(p, 16);
        }
        return mac;
    }
}
