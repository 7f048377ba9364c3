package net.vnsnap.host.vswitch.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** The tunnel header's exact bytes and its round trip. */
class TunnelHeaderTest {

    @Test
    void encodesVxlanLayoutWithEpochInTheReservedBitsAfterTheFlags() {
        ByteBuffer b = ByteBuffer.allocate(10);
        TunnelHeader.write(b, 1, 0x123456, 0xABCDEF);
        byte[] expected = {0, 0x08, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF, 0x12, 0x34, 0x56, 0x00, 0};
        assertArrayEquals(expected, b.array());
        assertEquals(0, b.position(), "absolute writes leave the position alone");
    }

    @Test
    void decodesWhatItEncodes() {
        ByteBuffer b = ByteBuffer.allocate(8);
        for (int[] v : new int[][] {{0, 0}, {1, 1}, {TunnelHeader.MAX_24, 0}, {0, TunnelHeader.MAX_24}, {4242, 77}}) {
            TunnelHeader.write(b, 0, v[0], v[1]);
            assertTrue(TunnelHeader.valid(b, 0));
            assertEquals(v[0], TunnelHeader.vni(b, 0));
            assertEquals(v[1], TunnelHeader.epoch(b, 0));
        }
    }

    @Test
    void ignoresTheLastReservedByteAndRequiresTheIFlag() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {0x08, 0, 0, 5, 0, 0, 9, (byte) 0xFF});
        assertTrue(TunnelHeader.valid(b, 0));
        assertEquals(9, TunnelHeader.vni(b, 0));
        assertEquals(5, TunnelHeader.epoch(b, 0));
        b.put(0, (byte) 0x00);
        assertFalse(TunnelHeader.valid(b, 0));
    }

    @Test
    void rejectsValuesWiderThan24Bits() {
        ByteBuffer b = ByteBuffer.allocate(8);
        assertThrows(IllegalArgumentException.class, () -> TunnelHeader.write(b, 0, 1 << 24, 0));
        assertThrows(IllegalArgumentException.class, () -> TunnelHeader.write(b, 0, 0, 1 << 24));
        assertThrows(IllegalArgumentException.class, () -> TunnelHeader.write(b, 0, -1, 0));
    }
}
