package net.vnsnap.am.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;

/** What the AM derives for a guest: VM names, stable MAC addresses, IP prefixes, and the users' SSH keys. */
public final class Guest {

    /** VM names the hosts accept. */
    public static final Pattern VM_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private Guest() {
    }

    /** A VM name from the slice name, the node's client_id and the sliver id, cut to 63 valid characters. */
    public static String vmName(String sliceName, String clientId, String id) {
        String base = (sliceName + "-" + clientId).replaceAll("[^A-Za-z0-9._-]", "_");
        String tail = "-" + id.replaceAll("[^A-Za-z0-9._-]", "");
        if (tail.length() > 21) {
            tail = tail.substring(0, 21);
        }
        String name = (base.length() + tail.length() > 63 ? base.substring(0, 63 - tail.length()) : base) + tail;
        if (!Character.isLetterOrDigit(name.charAt(0))) {
            name = "v" + name.substring(1);
        }
        return name;
    }

    /**
     * A locally administered unicast MAC derived from the slice, node and interface: the same on every call
     * and across restarts, so the manifest, the host and a restored VM agree without storing it.
     */
    public static String mac(String sliceUrn, String ifaceClientId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((sliceUrn + "\n" + ifaceClientId).getBytes(StandardCharsets.UTF_8));
            return String.format("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4]);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "10.0.0.1" with netmask "255.255.255.0" (or "24") as "10.0.0.1/24"; no netmask gives the address alone. */
    public static String withPrefix(String address, String netmask) {
        if (address == null || address.isBlank()) {
            return null;
        }
        if (netmask == null || netmask.isBlank()) {
            return address;
        }
        String m = netmask.trim();
        if (m.matches("\\d{1,3}")) {
            return address + "/" + Integer.parseInt(m);
        }
        String[] p = m.split("\\.");
        if (p.length != 4) {
            return address;
        }
        long bits = 0;
        for (String s : p) {
            bits = (bits << 8) | (Integer.parseInt(s) & 0xFF);
        }
        return address + "/" + Long.bitCount(bits);
    }

    /**
     * The {@code geni_users} option ({@code [{urn, keys: [...]}]}) as compact JSON, the form kept with the
     * slice and handed to guests as {@code users}; a malformed entry is BADARGS.
     */
    public static String usersJson(Object option) throws GeniException {
        List<Object> list;
        if (option instanceof Object[] a) {
            list = List.of(a);
        } else if (option instanceof List<?> l) {
            list = new ArrayList<>(l);
        } else {
            throw new GeniException(GeniCode.BADARGS, "option geni_users must be an array of {urn, keys} structs");
        }
        StringBuilder b = new StringBuilder("[");
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("urn") instanceof String urn)) {
                throw new GeniException(GeniCode.BADARGS, "each of geni_users must be a struct with a urn string");
            }
            Object keys = m.get("keys");
            List<Object> ks = keys == null ? List.of() : keys instanceof Object[] ka ? List.of(ka)
                    : keys instanceof List<?> kl ? new ArrayList<>(kl) : null;
            if (ks == null) {
                throw new GeniException(GeniCode.BADARGS, "geni_users: keys of " + urn + " must be an array of strings");
            }
            b.append(b.length() > 1 ? "," : "").append("{\"urn\":").append(quote(urn)).append(",\"keys\":[");
            for (int i = 0; i < ks.size(); i++) {
                if (!(ks.get(i) instanceof String k)) {
                    throw new GeniException(GeniCode.BADARGS, "geni_users: keys of " + urn + " must be strings");
                }
                b.append(i > 0 ? "," : "").append(quote(k));
            }
            b.append("]}");
        }
        return b.append("]").toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
