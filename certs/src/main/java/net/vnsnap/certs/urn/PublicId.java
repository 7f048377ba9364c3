package net.vnsnap.certs.urn;

import java.util.regex.Pattern;

/** The publicid transforms that turn plain authority and name text into URN text and back. */
public final class PublicId {

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private PublicId() {
    }

    /**
     * Encodes plain text: % ; + first so later output is never re-read, then whitespace runs, # ? ',
     * then {@code ::} to {@code ;}, a lone {@code :} to {@code %3A}, {@code //} to {@code :}, a lone {@code /} to {@code %2F}.
     */
    public static String encode(String plain) {
        String s = plain.trim();
        s = s.replace("%", "%25").replace(";", "%3B").replace("+", "%2B");
        s = WHITESPACE.matcher(s).replaceAll("+");
        s = s.replace("#", "%23").replace("?", "%3F").replace("'", "%27");
        s = s.replace("::", ";").replace(":", "%3A");
        s = s.replace("//", ":").replace("/", "%2F");
        return s;
    }

    /** Reverses {@link #encode}: the same steps, backwards. */
    public static String decode(String encoded) {
        String s = encoded;
        s = s.replace("%2F", "/").replace("%2f", "/").replace(":", "//");
        s = s.replace("%3A", ":").replace("%3a", ":").replace(";", "::");
        s = s.replace("%27", "'").replace("%3F", "?").replace("%3f", "?").replace("%23", "#");
        s = s.replace("+", " ");
        s = s.replace("%2B", "+").replace("%2b", "+").replace("%3B", ";").replace("%3b", ";").replace("%25", "%");
        return s;
    }
}
