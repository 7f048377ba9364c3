package net.vnsnap.certs.urn;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A GENI URN {@code urn:publicid:IDN+<authority>+<type>+<name>}, kept in its encoded (publicid) form
 * and compared as GENI does: authority and type ignore case, the name does not.
 */
public final class GeniUrn {

    /** The fixed prefix of every GENI URN; matched without regard to case. */
    public static final String PREFIX = "urn:publicid:IDN+";

    private static final Pattern SLICE_NAME = Pattern.compile("[a-zA-Z0-9][-a-zA-Z0-9]{0,18}");
    private static final Pattern SLIVER_NAME = Pattern.compile("[-a-zA-Z0-9_.]+");
    private static final Pattern USER_NAME = Pattern.compile("[a-zA-Z]\\w{0,7}");
    /** Characters no URN may hold (is_valid_urn of the reference tools), plus controls. */
    private static final Pattern FORBIDDEN = Pattern.compile("[\\s|?/#\\p{Cntrl}]");
    private static final Pattern TYPE = Pattern.compile("[a-zA-Z][-a-zA-Z0-9_]*");

    private final String authority;
    private final String type;
    private final String name;

    private GeniUrn(String authority, String type, String name) {
        this.authority = authority;
        this.type = type;
        this.name = name;
    }

    /** Parses an encoded URN, checking the general syntax but not the per-type name rules. */
    public static GeniUrn parse(String urn) throws InvalidUrnException {
        if (urn == null) {
            throw new InvalidUrnException("URN is missing");
        }
        if (urn.length() > 1024) {
            throw new InvalidUrnException("URN is longer than 1024 characters");
        }
        if (!urn.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            throw new InvalidUrnException("'" + urn + "' is not a GENI URN: it must start with " + PREFIX);
        }
        if (FORBIDDEN.matcher(urn).find()) {
            throw new InvalidUrnException("'" + urn + "' contains whitespace or one of | ? / #");
        }
        String rest = urn.substring(PREFIX.length());
        int p1 = rest.indexOf('+');
        int p2 = p1 < 0 ? -1 : rest.indexOf('+', p1 + 1);
        if (p1 <= 0 || p2 < 0 || p2 == p1 + 1 || p2 == rest.length() - 1) {
            throw new InvalidUrnException("'" + urn + "' must have the form " + PREFIX + "<authority>+<type>+<name>");
        }
        String auth = rest.substring(0, p1);
        String typ = rest.substring(p1 + 1, p2);
        String nam = rest.substring(p2 + 1);
        if (!TYPE.matcher(typ).matches()) {
            throw new InvalidUrnException("'" + urn + "' has an invalid type '" + typ + "'");
        }
        return new GeniUrn(auth, typ, nam);
    }

    /** Parses and then applies the name rules of the URN's type (slice, sliver, user). */
    public static GeniUrn parseStrict(String urn) throws InvalidUrnException {
        GeniUrn u = parse(urn);
        u.checkTypeRules();
        return u;
    }

    /** Builds a URN from plain (unencoded) authority and name, e.g. {@code geni//gpo//gcf}, {@code my slice}. */
    public static GeniUrn of(String plainAuthority, String type, String plainName) throws InvalidUrnException {
        return parse(PREFIX + PublicId.encode(plainAuthority) + "+" + type + "+" + PublicId.encode(plainName));
    }

    /** Builds a URN from already encoded parts, e.g. {@code geni:gpo:gcf}, {@code slice}, {@code s1}. */
    public static GeniUrn ofEncoded(String authority, String type, String name) throws InvalidUrnException {
        return parse(PREFIX + authority + "+" + type + "+" + name);
    }

    /** Throws when the name breaks the rules of its type (slice: 1-19 of [-a-zA-Z0-9], ...). */
    public void checkTypeRules() throws InvalidUrnException {
        switch (type.toLowerCase(Locale.ROOT)) {
            case "slice":
                if (!SLICE_NAME.matcher(name).matches()) {
                    throw new InvalidUrnException("slice name '" + name
                            + "' must be 1 to 19 letters, digits or '-', starting with a letter or digit");
                }
                break;
            case "sliver":
                if (!SLIVER_NAME.matcher(name).matches()) {
                    throw new InvalidUrnException("sliver name '" + name + "' may hold only letters, digits, '-', '_' and '.'");
                }
                break;
            case "user":
                if (!USER_NAME.matcher(name).matches()) {
                    throw new InvalidUrnException("user name '" + name
                            + "' must be 1 to 8 letters, digits or '_', starting with a letter");
                }
                break;
            default:
                break;
        }
    }

    /** True when the name obeys its type's rules. */
    public boolean isValidForType() {
        try {
            checkTypeRules();
            return true;
        } catch (InvalidUrnException e) {
            return false;
        }
    }

    /** The encoded authority, e.g. {@code geni:gpo:gcf} or {@code geni:gpo:gcf:am}. */
    public String authority() {
        return authority;
    }

    /** The type, e.g. {@code user}, {@code slice}, {@code authority}, {@code sliver}. */
    public String type() {
        return type;
    }

    /** The encoded name. */
    public String name() {
        return name;
    }

    /** The authority decoded to plain text ({@code geni//gpo//gcf}). */
    public String plainAuthority() {
        return PublicId.decode(authority);
    }

    /** The name decoded to plain text. */
    public String plainName() {
        return PublicId.decode(name);
    }

    /** True when the type equals {@code t}, ignoring case. */
    public boolean isType(String t) {
        return type.equalsIgnoreCase(t);
    }

    /**
     * True when {@code other}'s authority is this URN's authority or one below it
     * ({@code geni:gpo:gcf} covers {@code geni:gpo:gcf:am}, not {@code geni:gpo:gcfx}).
     */
    public boolean authorityCovers(GeniUrn other) {
        String mine = authority.toLowerCase(Locale.ROOT);
        String theirs = other.authority.toLowerCase(Locale.ROOT);
        return theirs.equals(mine) || theirs.startsWith(mine + ":");
    }

    /** The URN in its canonical text form. */
    @Override
    public String toString() {
        return PREFIX + authority + "+" + type + "+" + name;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GeniUrn)) {
            return false;
        }
        GeniUrn u = (GeniUrn) o;
        return authority.equalsIgnoreCase(u.authority) && type.equalsIgnoreCase(u.type) && name.equals(u.name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(authority.toLowerCase(Locale.ROOT), type.toLowerCase(Locale.ROOT), name);
    }

    /** True when the two texts are valid URNs that name the same thing; false for any invalid text. */
    public static boolean same(String a, String b) {
        try {
            return parse(a).equals(parse(b));
        } catch (InvalidUrnException e) {
            return false;
        }
    }
}
