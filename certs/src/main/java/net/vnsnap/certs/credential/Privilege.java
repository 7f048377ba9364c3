package net.vnsnap.certs.credential;

import java.util.Locale;

/** One {@code <privilege>} of a credential: its name (lowercased) and whether it may be delegated. */
public record Privilege(String name, boolean canDelegate) {
    public Privilege {
        name = name.trim().toLowerCase(Locale.ROOT);
    }
}
