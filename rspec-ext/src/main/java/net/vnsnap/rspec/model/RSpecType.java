package net.vnsnap.rspec.model;

import java.util.Locale;

/** The three kinds of RSpec, by the value of the root's {@code type} attribute. */
public enum RSpecType {
    REQUEST("request", Ns.GENI_REQUEST_XSD),
    ADVERTISEMENT("advertisement", Ns.GENI_AD_XSD),
    MANIFEST("manifest", Ns.GENI_MANIFEST_XSD);

    private final String wire;
    private final String schemaLocation;

    RSpecType(String wire, String schemaLocation) {
        this.wire = wire;
        this.schemaLocation = schemaLocation;
    }

    public String wire() {
        return wire;
    }

    /** The GENI v3 XSD URL that goes into xsi:schemaLocation for this type. */
    public String schemaLocation() {
        return schemaLocation;
    }

    /** The type for an attribute value, or null when it is none of the three. */
    public static RSpecType fromWire(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (RSpecType v : values()) {
            if (v.wire.equals(t)) {
                return v;
            }
        }
        return null;
    }
}
