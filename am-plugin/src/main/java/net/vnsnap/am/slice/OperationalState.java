package net.vnsnap.am.slice;

/** A sliver's AM API v3 operational state, with its wire name. */
public enum OperationalState {
    PENDING_ALLOCATION("geni_pending_allocation"),
    NOTREADY("geni_notready"),
    CONFIGURING("geni_configuring"),
    STOPPING("geni_stopping"),
    READY("geni_ready"),
    READY_BUSY("geni_ready_busy"),
    FAILED("geni_failed"),
    UNKNOWN("geni_unknown");

    private final String wire;

    OperationalState(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static OperationalState fromWire(String w) {
        for (OperationalState s : values()) {
            if (s.wire.equals(w)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown operational state " + w);
    }
}
