package net.vnsnap.rspec.model;

import java.util.Locale;
import java.util.Optional;

/** The sliver types this aggregate offers; InstaGENI's {@code emulab-xen} is read as {@code xen-vm}. */
public enum SliverKind {
    XEN_VM("xen-vm", "emulab-xen"),
    QEMU_VM("qemu-vm");

    private final String wire;
    /** Other names clients use for the same kind. */
    private final String[] aliases;

    SliverKind(String wire, String... aliases) {
        this.wire = wire;
        this.aliases = aliases;
    }

    public String wire() {
        return wire;
    }

    /** The kind for a sliver_type name (case-insensitive, aliases included), or empty. */
    public static Optional<SliverKind> lookup(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (SliverKind k : values()) {
            if (k.wire.equals(n)) {
                return Optional.of(k);
            }
            for (String a : k.aliases) {
                if (a.equals(n)) {
                    return Optional.of(k);
                }
            }
        }
        return Optional.empty();
    }
}
