package net.vnsnap.am.api;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;

/**
 * The {@code options} struct of an AM API call, read with the types the API defines; a value of the wrong
 * type is a BADARGS error naming the option, never a silent default.
 */
public final class Options {

    private final Map<String, Object> values;

    public Options(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Options empty() {
        return new Options(Map.of());
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    /** A boolean option; clients send XML-RPC booleans, some send 0/1 or "true"/"false", all accepted. */
    public boolean bool(String name, boolean dflt) throws GeniException {
        Object v = values.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Integer i && (i == 0 || i == 1)) {
            return i == 1;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw new GeniException(GeniCode.BADARGS, "option " + name + " must be a boolean, not " + describe(v));
    }

    public Optional<String> string(String name) throws GeniException {
        Object v = values.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw new GeniException(GeniCode.BADARGS, "option " + name + " must be a string, not " + describe(v));
    }

    /** A struct option, with string keys. */
    @SuppressWarnings("unchecked")
    public Optional<Map<String, Object>> struct(String name) throws GeniException {
        Object v = values.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map<?, ?> m) {
            return Optional.of((Map<String, Object>) m);
        }
        throw new GeniException(GeniCode.BADARGS, "option " + name + " must be a struct, not " + describe(v));
    }

    /** An RFC 3339 time option ({@code Z} or an offset, with or without fractions). */
    public Optional<Instant> time(String name) throws GeniException {
        Optional<String> s = string(name);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Wire.parseTime(s.get(), "option " + name));
    }

    static String describe(Object v) {
        if (v instanceof Object[] || v instanceof java.util.List) {
            return "an array";
        }
        if (v instanceof Map) {
            return "a struct";
        }
        if (v instanceof Integer) {
            return "an int";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof String s) {
            return "the string '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
        return "a " + v.getClass().getSimpleName();
    }
}
