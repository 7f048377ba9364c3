package net.vnsnap.host.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The slice manifest's file format: a header line {@code vnsnap-slice-manifest 1 sha256=<hex>} whose checksum
 * covers the JSON body after it, so a torn or edited manifest is refused before it is trusted.
 */
final class SliceManifestCodec {
    static final String MAGIC = "vnsnap-slice-manifest";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SliceManifestCodec() {
    }

    static byte[] encode(SliceManifest m) throws IOException {
        byte[] body = JSON.writeValueAsBytes(m);
        byte[] header = (MAGIC + " " + VERSION + " sha256=" + sha256(body) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    /** Decodes a manifest; {@code where} names the file in error messages. */
    static SliceManifest decode(byte[] bytes, String where) throws IOException {
        int nl = -1;
        for (int i = 0; i < Math.min(bytes.length, 256); i++) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new IOException(where + ": no manifest header line");
        }
        String[] h = new String(bytes, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (h.length != 3 || !MAGIC.equals(h[0]) || !h[2].startsWith("sha256=")) {
            throw new IOException(where + ": not a vnsnap slice manifest");
        }
        if (!Integer.toString(VERSION).equals(h[1])) {
            throw new IOException(where + ": slice manifest version " + h[1] + " is not supported (want " + VERSION + ")");
        }
        byte[] body = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        if (!sha256(body).equals(h[2].substring("sha256=".length()))) {
            throw new IOException(where + ": slice manifest checksum mismatch (torn or modified)");
        }
        try {
            return JSON.readValue(body, SliceManifest.class);
        } catch (IOException e) {
            throw new IOException(where + ": slice manifest body is invalid: " + e.getMessage(), e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
