package net.vnsnap.rspec.validate;

/** Syntax checks for IPv4/IPv6 literals and netmasks, without any name lookup. */
public final class IpAddresses {
    private IpAddresses() {
    }

    public static boolean isIpv4(String s) {
        String[] p = s.split("\\.", -1);
        if (p.length != 4) {
            return false;
        }
        for (String o : p) {
            if (o.isEmpty() || o.length() > 3 || (o.length() > 1 && o.charAt(0) == '0')) {
                return false;
            }
            for (int i = 0; i < o.length(); i++) {
                if (o.charAt(i) < '0' || o.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(o) > 255) {
                return false;
            }
        }
        return true;
    }

    public static boolean isIpv6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return false;
        }
        int dbl = s.indexOf("::");
        if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) {
            return false;
        }
        int groups = 0;
        String[] halves = dbl >= 0 ? new String[] {s.substring(0, dbl), s.substring(dbl + 2)} : new String[] {s};
        for (int h = 0; h < halves.length; h++) {
            if (halves[h].isEmpty()) {
                continue;
            }
            String[] g = halves[h].split(":", -1);
            for (int i = 0; i < g.length; i++) {
                boolean last = h == halves.length - 1 && i == g.length - 1;
                if (last && g[i].contains(".")) {
                    if (!isIpv4(g[i])) {
                        return false;
                    }
                    groups += 2;
                } else if (g[i].isEmpty() || g[i].length() > 4 || !hex(g[i])) {
                    return false;
                } else {
                    groups++;
                }
            }
        }
        return dbl >= 0 ? groups < 8 : groups == 8;
    }

    /** A dotted IPv4 mask of contiguous ones (255.255.255.0), or a prefix length up to {@code maxBits}. */
    public static boolean isNetmask(String s, int maxBits) {
        if (s.matches("\\d{1,3}")) {
            return Integer.parseInt(s) <= maxBits;
        }
        if (maxBits != 32 || !isIpv4(s)) {
            return false;
        }
        long v = 0;
        for (String o : s.split("\\.")) {
            v = (v << 8) | Integer.parseInt(o);
        }
        long inv = ~v & 0xFFFFFFFFL;
        return (inv & (inv + 1)) == 0;
    }

    private static boolean hex(String g) {
        for (int i = 0; i < g.length(); i++) {
            if (Character.digit(g.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
