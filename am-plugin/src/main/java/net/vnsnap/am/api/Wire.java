package net.vnsnap.am.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.credential.CredentialEnvelope;

/** Decoding of AM API parameters from their XML-RPC forms, and the encodings the API prescribes (times, compression). */
public final class Wire {

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");

    private Wire() {
    }

    /** Parses RFC 3339 with {@code Z} or an offset, with or without fractions; an XML-RPC dateTime is accepted too. */
    public static Instant parseTime(Object value, String what) throws GeniException {
        if (value instanceof Date d) {
            return d.toInstant();
        }
        if (!(value instanceof String s)) {
            throw new GeniException(GeniCode.BADARGS, what + " must be an RFC 3339 time string, not " + Options.describe(value));
        }
        String t = s.trim();
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                // Some tools omit the offset; GENI times are UTC.
                return java.time.LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new GeniException(GeniCode.BADARGS, what + " '" + s + "' is not an RFC 3339 time such as 2027-06-01T00:00:00Z");
            }
        }
    }

    /** An instant as the sliver structs carry it: seconds precision, {@code +00:00}. */
    public static String formatTime(Instant t) {
        return RFC3339.format(t.truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
    }

    /** {@code base64(zlib(text))}, the form of RSpecs when {@code geni_compressed} is true. */
    public static String compress(String text) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        d.setInput(text.getBytes(StandardCharsets.UTF_8));
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    public static String string(Object v, String what) throws GeniException {
        if (v instanceof String s) {
            return s;
        }
        throw new GeniException(GeniCode.BADARGS, what + " must be a string, not " + (v == null ? "missing" : Options.describe(v)));
    }

    @SuppressWarnings("unchecked")
    public static Options options(Object v) throws GeniException {
        if (v == null) {
            return Options.empty();
        }
        if (v instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new GeniException(GeniCode.BADARGS, "options keys must be strings");
                }
            }
            return new Options((Map<String, Object>) m);
        }
        throw new GeniException(GeniCode.BADARGS, "options must be a struct, not " + Options.describe(v));
    }

    /** An XML-RPC array (Apache decodes it as Object[]) as a list. */
    public static List<Object> array(Object v, String what) throws GeniException {
        if (v instanceof Object[] a) {
            return List.of(a);
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        throw new GeniException(GeniCode.BADARGS, what + " must be an array, not " + (v == null ? "missing" : Options.describe(v)));
    }

    /** The URNs argument: a non-empty array of strings. */
    public static List<String> urns(Object v) throws GeniException {
        List<String> out = new ArrayList<>();
        for (Object o : array(v, "urns")) {
            out.add(string(o, "each of urns"));
        }
        if (out.isEmpty()) {
            throw new GeniException(GeniCode.BADARGS, "urns must name a slice or at least one sliver");
        }
        return out;
    }

    /**
     * The credentials argument. In v3 each is a struct {geni_type, geni_version, geni_value}; a bare string is the
     * v2 form (a geni_sfa credential). Anything else is refused, never silently dropped.
     */
    public static List<CredentialEnvelope> credentials(Object v) throws GeniException {
        List<CredentialEnvelope> out = new ArrayList<>();
        int i = 0;
        for (Object o : array(v, "credentials")) {
            i++;
            if (o instanceof String xml) {
                out.add(CredentialEnvelope.v2(xml));
            } else if (o instanceof Map<?, ?> m) {
                Object type = m.get("geni_type");
                Object version = m.get("geni_version");
                Object value = m.get("geni_value");
                if (!(type instanceof String) || value == null) {
                    throw new GeniException(GeniCode.CREDENTIAL_INVALID,
                            "credential " + i + " lacks geni_type or geni_value");
                }
                if (!(value instanceof String)) {
                    throw new GeniException(GeniCode.CREDENTIAL_INVALID, "credential " + i + ": geni_value must be a string");
                }
                out.add(new CredentialEnvelope((String) type, version == null ? "" : version.toString(), (String) value));
            } else {
                throw new GeniException(GeniCode.CREDENTIAL_INVALID,
                        "credential " + i + " is " + Options.describe(o) + ", not a credential struct");
            }
        }
        return out;
    }

    /** A read-only view for messages. */
    static String shortText(Map<String, Object> m) {
        return m.keySet().toString();
    }
}
