package net.vnsnap.host.vswitch.tunnel;

import java.nio.ByteBuffer;

/**
 * Encodes and decodes the 8-byte switch-to-switch header: VXLAN's layout (RFC 7348) with the sender port's
 * snapshot epoch in the 24 reserved bits after the flags byte (docs/vswitch-tunnel.md).
 *
 * <pre>
 *  byte 0     flags: 0x08 (I, VNI valid); other bits sent as 0, ignored on receipt
 *  bytes 1-3  epoch of the sending port, unsigned 24-bit big-endian (VXLAN: reserved)
 *  bytes 4-6  VNI = the segment's 24-bit id, big-endian
 *  byte 7     reserved, sent as 0, ignored on receipt
 * </pre>
 */
public final class TunnelHeader {

    public static final int BYTES = 8;

    /** VXLAN's I flag: the VNI field is valid. */
    public static final int FLAG_VNI = 0x08;

    /** The largest epoch or VNI the 24-bit fields carry. */
    public static final int MAX_24 = 0xFF_FFFF;

    /** IANA's VXLAN port; tests on loopback use other ports so two switches can share a host. */
    public static final int VXLAN_PORT = 4789;

    private TunnelHeader() {
    }

    /** Writes the header at absolute {@code offset}; position and limit are untouched. */
    public static void write(ByteBuffer b, int offset, int vni, int epoch) {
        check(vni, "VNI");
        check(epoch, "epoch");
        b.putInt(offset, (FLAG_VNI << 24) | epoch);
        b.putInt(offset + 4, vni << 8);
    }

    /** Whether the header at {@code offset} has the I flag; frames without it are dropped. */
    public static boolean valid(ByteBuffer b, int offset) {
        return (b.get(offset) & FLAG_VNI) != 0;
    }

    public static int epoch(ByteBuffer b, int offset) {
        return b.getInt(offset) & MAX_24;
    }

    public static int vni(ByteBuffer b, int offset) {
        return b.getInt(offset + 4) >>> 8;
    }

    /** Rejects a value that does not fit a 24-bit field. */
    public static void check(int value, String what) {
        if (value < 0 || value > MAX_24) {
            throw new IllegalArgumentException(what + " must be in 0.." + MAX_24 + ": " + value);
        }
    }
}
