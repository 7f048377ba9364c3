package net.vnsnap.host.driver.xen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The xl save-file header byte for byte, as tools/xl/xl.h lays it out (little-endian on x86). */
class XlSaveHeaderTest {
    @TempDir
    Path dir;

    @Test
    void encodesTheXlLayoutByteForByte() {
        byte[] h = XlSaveHeader.encode("{\"a\":1}");
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the expected bytes below are for x86");
        byte[] expected = {
            'X', 'e', 'n', ' ', 's', 'a', 'v', 'e', 'd', ' ', 'd', 'o', 'm', 'a', 'i', 'n', ',', ' ', 'x', 'l', ' ',
            'f', 'o', 'r', 'm', 'a', 't', '\n', ' ', 0, ' ', '\r',   // magic[32], no terminating NUL
            0x04, 0x03, 0x02, 0x01,                                   // byteorder 0x01020304
            0x03, 0, 0, 0,                                            // mandatory: JSON | STREAMv2
            0, 0, 0, 0,                                               // optional flags
            12, 0, 0, 0,                                              // optional_data_len = 4 + jlen
            8, 0, 0, 0,                                               // jlen = strlen(json) + 1
            '{', '"', 'a', '"', ':', '1', '}', 0                      // the JSON with its NUL
        };
        assertArrayEquals(expected, h);
    }

    @Test
    void readsBackConfigAndStreamOffset() throws IOException {
        byte[] h = XlSaveHeader.encode("{\"c_info\":{\"name\":\"vm1\"}}");
        Path f = dir.resolve("img");
        byte[] stream = "STREAM".getBytes();
        byte[] all = new byte[h.length + stream.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(stream, 0, all, h.length, stream.length);
        Files.write(f, all);
        XlSaveHeader r = XlSaveHeader.read(f);
        assertEquals("{\"c_info\":{\"name\":\"vm1\"}}", r.configJson());
        assertEquals(h.length, r.length());
        assertEquals(2, r.streamVersion());
    }

    @Test
    void refusesDamagedHeaders() throws IOException {
        byte[] h = XlSaveHeader.encode("{}");
        byte[] badMagic = h.clone();
        badMagic[0] = 'x';
        byte[] badOrder = h.clone();
        badOrder[32] = 1;
        byte[] unknownFlag = h.clone();
        unknownFlag[36] = 0x07;
        byte[] truncated = java.util.Arrays.copyOf(h, h.length - 2);
        byte[] noJson = h.clone();
        noJson[36] = 0x02;
        for (byte[] b : new byte[][] {badMagic, badOrder, unknownFlag, truncated, noJson}) {
            Path f = Files.write(dir.resolve("bad"), b);
            IOException e = assertThrows(IOException.class, () -> XlSaveHeader.read(f));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }
}
