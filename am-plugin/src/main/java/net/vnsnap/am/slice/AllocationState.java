package net.vnsnap.am.slice;

/** A sliver's AM API v3 allocation state, with its wire name. */
public enum AllocationState {
    UNALLOCATED("geni_unallocated"),
    ALLOCATED("geni_allocated"),
    PROVISIONED("geni_provisioned");

    private final String wire;

    AllocationState(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
