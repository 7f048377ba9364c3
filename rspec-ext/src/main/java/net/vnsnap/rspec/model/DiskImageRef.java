package net.vnsnap.rspec.model;

import java.util.regex.Pattern;

/** A disk image named either by URN ({@code urn:publicid:IDN+<authority>+image+<name>}) or by a short name. */
public record DiskImageRef(String urn, String authority, String imageName) {

    private static final String PREFIX = "urn:publicid:IDN+";
    /** Short names as aggregates list them: letters, digits and {@code - _ . :}, starting with a letter or digit. */
    private static final Pattern SHORT = Pattern.compile("[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}");
    private static final Pattern URN_PART = Pattern.compile("[^\\s|?#+]+");

    /**
     * Reads a disk_image name; throws IllegalArgumentException with a readable reason otherwise. Image
     * URNs are split here rather than with GeniUrn because InstaGENI names keep a literal {@code //}
     * ({@code emulab-ops//UBUNTU22-64-STD}), which the strict URN syntax forbids.
     */
    public static DiskImageRef parse(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("disk image has no name");
        }
        if (name.regionMatches(true, 0, "urn:", 0, 4)) {
            if (!name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                throw new IllegalArgumentException("disk image '" + name + "' is not a GENI URN (" + PREFIX + "...)");
            }
            String[] p = name.substring(PREFIX.length()).split("\\+", -1);
            if (p.length != 3 || !URN_PART.matcher(p[0]).matches() || !URN_PART.matcher(p[2]).matches()) {
                throw new IllegalArgumentException("disk image '" + name
                        + "' is not of the form urn:publicid:IDN+<authority>+image+<name>");
            }
            if (!"image".equalsIgnoreCase(p[1])) {
                throw new IllegalArgumentException("disk image '" + name + "' is a URN of type '" + p[1]
                        + "', not 'image'");
            }
            return new DiskImageRef(name, p[0], p[2]);
        }
        if (!SHORT.matcher(name).matches()) {
            throw new IllegalArgumentException("disk image '" + name
                    + "' is neither an image URN nor a short name (letters, digits, '-', '_', '.', ':')");
        }
        return new DiskImageRef(null, null, name);
    }

    public boolean isUrn() {
        return urn != null;
    }
}
