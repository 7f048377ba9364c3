package net.vnsnap.host.driver.xen.net;

/**
 * Completes TCP and UDP checksums of IPv4 frames a guest sent with checksum offload: netfront hands such frames to
 * dom0 with only the pseudo-header sum in place, and a packet socket passes them on unfinished, so the receiving
 * guest would drop them.
 */
public final class FrameChecksums {
    private FrameChecksums() {
    }

    /**
     * Writes the correct TCP or UDP checksum into an unfragmented IPv4 frame (no VLAN tag).
     *
     * @return true when the checksum field changed
     */
    public static boolean completeIpv4(byte[] f, int len) {
        if (len < 14 + 20 || u16(f, 12) != 0x0800) {
            return false;
        }
        int ip = 14;
        int ihl = (f[ip] & 0x0f) * 4;
        if ((f[ip] >> 4 & 0x0f) != 4 || ihl < 20) {
            return false;
        }
        int total = u16(f, ip + 2);
        int frag = u16(f, ip + 6);
        if ((frag & 0x3fff) != 0 || total < ihl || ip + total > len) {
            return false;
        }
        int proto = f[ip + 9] & 0xff;
        int l4 = ip + ihl;
        int l4len = total - ihl;
        int field;
        if (proto == 6 && l4len >= 20) {
            field = l4 + 16;
        } else if (proto == 17 && l4len >= 8) {
            field = l4 + 6;
        } else {
            return false;
        }
        int old = u16(f, field);
        f[field] = 0;
        f[field + 1] = 0;
        long sum = 0;
        for (int i = 0; i < 8; i += 2) {
            sum += u16(f, ip + 12 + i);
        }
        sum += proto + l4len;
        for (int i = 0; i + 1 < l4len; i += 2) {
            sum += u16(f, l4 + i);
        }
        if ((l4len & 1) != 0) {
            sum += (f[l4 + l4len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int c = (int) (~sum & 0xffff);
        if (proto == 17 && c == 0) {
            c = 0xffff;
        }
        f[field] = (byte) (c >> 8);
        f[field + 1] = (byte) c;
        return c != old;
    }

    private static int u16(byte[] f, int i) {
        return (f[i] & 0xff) << 8 | (f[i + 1] & 0xff);
    }
}
