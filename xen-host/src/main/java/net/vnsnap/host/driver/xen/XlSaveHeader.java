package net.vnsnap.host.driver.xen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The header xl puts in front of a libxl save stream (tools/xl/xl.h, {@code struct save_file_header}), so that
 * {@code xl restore FILE} reads our images: 32 magic bytes, then in native byte order {@code byteorder = 0x01020304},
 * {@code mandatory_flags}, {@code optional_flags}, {@code optional_data_len}, then the optional data: a 32-bit length
 * and the NUL-terminated domain configuration as libxl JSON.
 *
 * @param mandatoryFlags {@link #FLAG_JSON} | {@link #FLAG_STREAM_V2} for images this driver writes
 * @param configJson     the domain configuration
 * @param length         header bytes before the libxl stream
 */
record XlSaveHeader(int mandatoryFlags, String configJson, long length) {
    /** {@code "Xen saved domain, xl format\n \0 \r"}: exactly 32 bytes, no terminating NUL. */
    static final byte[] MAGIC = "Xen saved domain, xl format\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
    static final int BYTEORDER_MARKER = 0x01020304;
    /** {@code XL_MANDATORY_FLAG_JSON}: the optional data holds the configuration as JSON. */
    static final int FLAG_JSON = 1;
    /** {@code XL_MANDATORY_FLAG_STREAMv2}: a libxl migration stream v2 follows. */
    static final int FLAG_STREAM_V2 = 2;
    static final int FIXED_BYTES = 32 + 4 * 4;
    /** Refuse headers claiming more configuration than this (a damaged file, not a domain). */
    static final int MAX_CONFIG_BYTES = 16 << 20;

    /** The header bytes for a configuration, in this machine's byte order (as xl writes them). */
    static byte[] encode(String configJson) {
        byte[] json = configJson.getBytes(StandardCharsets.UTF_8);
        int jlen = json.length + 1;
        ByteBuffer b = ByteBuffer.allocate(FIXED_BYTES + 4 + jlen).order(ByteOrder.nativeOrder());
        b.put(MAGIC);
        b.putInt(BYTEORDER_MARKER);
        b.putInt(FLAG_JSON | FLAG_STREAM_V2);
        b.putInt(0);
        b.putInt(4 + jlen);
        b.putInt(jlen);
        b.put(json);
        b.put((byte) 0);
        return b.array();
    }

    /** Reads and checks the header of an image file. */
    static XlSaveHeader read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] fixed = in.readNBytes(FIXED_BYTES);
            if (fixed.length < FIXED_BYTES || !Arrays.equals(Arrays.copyOf(fixed, 32), MAGIC)) {
                throw new IOException(file + " is not an xl save image (bad magic)");
            }
            ByteBuffer b = ByteBuffer.wrap(fixed, 32, 16).order(ByteOrder.nativeOrder());
            if (b.getInt() != BYTEORDER_MARKER) {
                throw new IOException(file + " was saved with the other byte order");
            }
            int mandatory = b.getInt();
            b.getInt();
            long optLen = Integer.toUnsignedLong(b.getInt());
            if ((mandatory & ~(FLAG_JSON | FLAG_STREAM_V2)) != 0) {
                throw new IOException(file + " needs unknown xl header features 0x" + Integer.toHexString(mandatory));
            }
            if ((mandatory & FLAG_JSON) == 0) {
                throw new IOException(file + " holds an xl configuration-file image, not a JSON one; this driver reads only JSON");
            }
            if (optLen < 4 || optLen > MAX_CONFIG_BYTES) {
                throw new IOException(file + " has an implausible optional-data length " + optLen);
            }
            byte[] opt = in.readNBytes((int) optLen);
            if (opt.length < optLen) {
                throw new IOException(file + " is truncated inside its xl header");
            }
            long jlen = Integer.toUnsignedLong(ByteBuffer.wrap(opt, 0, 4).order(ByteOrder.nativeOrder()).getInt());
            if (jlen < 1 || jlen > optLen - 4) {
                throw new IOException(file + " has a configuration length " + jlen + " outside its optional data");
            }
            int end = 4 + (int) jlen;
            if (opt[end - 1] == 0) {
                end--;
            }
            String json = new String(opt, 4, end - 4, StandardCharsets.UTF_8);
            return new XlSaveHeader(mandatory, json, FIXED_BYTES + optLen);
        }
    }

    /** The libxl stream version the restore must be told ({@code xl restore} derives it the same way). */
    int streamVersion() {
        return (mandatoryFlags & FLAG_STREAM_V2) != 0 ? 2 : 1;
    }
}
