package net.vnsnap.host.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.time.Instant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The manifest file format: a header line {@code vnsnap-manifest 1 sha256=<hex>} whose checksum covers
 * the JSON body below it, so a torn or edited manifest is recognised before it is trusted.
 */
final class ManifestCodec {
    static final String MAGIC = "vnsnap-manifest";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new SimpleModule("instant")
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addDeserializer(Instant.class, new FromStringDeserializer<Instant>(Instant.class) {
                        private static final long serialVersionUID = 1L;

                        @Override
                        protected Instant _deserialize(String value, DeserializationContext ctxt) {
                            return Instant.parse(value);
                        }
                    }))
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestCodec() {
    }

    static byte[] encode(SnapshotManifest m) throws IOException {
        byte[] body = JSON.writeValueAsBytes(m);
        byte[] header = (MAGIC + " " + VERSION + " sha256=" + Checksums.sha256(body) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    static SnapshotManifest decode(byte[] bytes, String where) throws CorruptSnapshotException {
        int nl = -1;
        for (int i = 0; i < Math.min(bytes.length, 200); i++) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new CorruptSnapshotException(where + ": manifest has no header line");
        }
        String[] header = new String(bytes, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (header.length != 3 || !MAGIC.equals(header[0]) || !header[2].startsWith("sha256=")) {
            throw new CorruptSnapshotException(where + ": not a vnsnap manifest (bad header)");
        }
        if (!Integer.toString(VERSION).equals(header[1])) {
            throw new CorruptSnapshotException(where + ": manifest version " + header[1] + " is not supported (want " + VERSION + ")");
        }
        byte[] body = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        String actual = Checksums.sha256(body);
        if (!actual.equals(header[2].substring("sha256=".length()))) {
            throw new CorruptSnapshotException(where + ": manifest checksum mismatch (torn or modified manifest)");
        }
        try {
            return JSON.readValue(body, SnapshotManifest.class);
        } catch (IOException e) {
            throw new CorruptSnapshotException(where + ": manifest body is not valid: " + e.getMessage(), e);
        }
    }
}
