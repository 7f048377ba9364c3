package net.vnsnap.certs;

/** The AM API's geni_code values, as sent on the wire in {@code code.geni_code}. */
public enum GeniCode {
    SUCCESS(0),
    BADARGS(1),
    ERROR(2),
    FORBIDDEN(3),
    BADVERSION(4),
    SERVERERROR(5),
    TOOBIG(6),
    REFUSED(7),
    TIMEDOUT(8),
    DBERROR(9),
    RPCERROR(10),
    UNAVAILABLE(11),
    SEARCHFAILED(12),
    UNSUPPORTED(13),
    BUSY(14),
    EXPIRED(15),
    INPROGRESS(16),
    ALREADYEXISTS(17),
    MISSINGARGS(18),
    OUTOFRANGE(19),
    CREDENTIAL_INVALID(20),
    CREDENTIAL_EXPIRED(21),
    CREDENTIAL_MISMATCH(22),
    CREDENTIAL_SIGNER_UNTRUSTED(23),
    VLAN_UNAVAILABLE(24),
    INSUFFICIENT_BANDWIDTH(25);

    private final int wire;

    GeniCode(int wire) {
        this.wire = wire;
    }

    /** The integer sent as geni_code. */
    public int wire() {
        return wire;
    }

    /** The code for a wire value; throws for a value the AM API does not define. */
    public static GeniCode fromWire(int wire) {
        for (GeniCode c : values()) {
            if (c.wire == wire) {
                return c;
            }
        }
        throw new IllegalArgumentException("no geni_code " + wire);
    }
}
