package net.vnsnap.host.access;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.driver.GuestUser;

/**
 * Assigns Unix logins to GENI users (the name part of the user URN, lowercased, with characters a login
 * may not hold replaced by '_', at most 32 characters, unique) and keeps each assignment for good, so that a
 * later list cannot hand one user's account to another.
 */
public final class GeniLogins {
    public static final int MAX_LENGTH = 32;
    /** Accounts a typical guest already has (Debian base system, common services); never handed out. */
    private static final Set<String> RESERVED = Set.of("root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail",
            "news", "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "sshd", "messagebus", "halt",
            "shutdown", "operator", "adm", "admin", "ubuntu", "debian", "geniuser", "_apt", "systemd-network",
            "systemd-resolve", "systemd-timesync", "polkitd", "dnsmasq", "syslog", "ntp", "postfix", "lxd", "docker");

    /**
     * One experimenter as GENI sends it ({@code geni_users} entries).
     *
     * @param urn  the user URN, e.g. {@code urn:publicid:IDN+ch.geni.net+user+alice}
     * @param keys OpenSSH public key lines
     */
    public record GeniUser(String urn, List<String> keys) {
    }

    /** URN to login, in assignment order; the key is the URN as GENI compares it (authority case-insensitive). */
    private final Map<GeniUrn, String> assigned = new LinkedHashMap<>();
    private final Set<String> taken = new HashSet<>();

    /** An allocator with no earlier assignments. */
    public GeniLogins() {
    }

    /** An allocator that keeps earlier assignments (URN text to login), e.g. loaded from the sliver's state. */
    public GeniLogins(Map<String, String> earlier) throws InvalidUrnException {
        for (Map.Entry<String, String> e : earlier.entrySet()) {
            if (!GuestUser.LOGIN.matcher(e.getValue()).matches() || !taken.add(e.getValue())) {
                throw new IllegalArgumentException("earlier login '" + e.getValue() + "' is invalid or assigned twice");
            }
            assigned.put(GeniUrn.parse(e.getKey()), e.getValue());
        }
    }

    /** The login derived from a URN's name before uniqueness is applied, e.g. {@code Alice.Smith} → {@code alice_smith}. */
    public static String baseLogin(GeniUrn urn) {
        String n = urn.plainName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
        if (n.isEmpty() || !Character.isLetter(n.charAt(0)) && n.charAt(0) != '_') {
            n = "u" + n;
        }
        return n.length() > MAX_LENGTH ? n.substring(0, MAX_LENGTH) : n;
    }

    /** The login of a user URN: the earlier one if assigned, else a new unique one. */
    public synchronized String loginFor(String userUrn) throws InvalidUrnException {
        GeniUrn urn = GeniUrn.parse(userUrn);
        if (!urn.isType("user")) {
            throw new InvalidUrnException("'" + userUrn + "' is not a user URN");
        }
        String login = assigned.get(urn);
        if (login != null) {
            return login;
        }
        String base = baseLogin(urn);
        login = base;
        for (int i = 2; RESERVED.contains(login) || taken.contains(login); i++) {
            String suffix = Integer.toString(i);
            login = base.substring(0, Math.min(base.length(), MAX_LENGTH - suffix.length())) + suffix;
        }
        taken.add(login);
        assigned.put(urn, login);
        return login;
    }

    /** The guest users for a {@code geni_users} list, in its order; assigns logins to new URNs. */
    public synchronized List<GuestUser> guestUsers(List<GeniUser> users) throws InvalidUrnException {
        Map<String, GuestUser> out = new LinkedHashMap<>();
        for (GeniUser u : users) {
            String login = loginFor(u.urn());
            GuestUser prev = out.get(login);
            // The same URN twice (tools do send duplicates): one account with both key lists.
            List<String> keys = prev == null ? u.keys() : java.util.stream.Stream.concat(prev.keys().stream(), u.keys().stream())
                    .distinct().toList();
            out.put(login, new GuestUser(login, keys));
        }
        return List.copyOf(out.values());
    }

    /** Every assignment so far, URN text to login, to be kept with the sliver. */
    public synchronized Map<String, String> assignments() {
        Map<String, String> m = new LinkedHashMap<>();
        assigned.forEach((urn, login) -> m.put(urn.toString(), login));
        return Collections.unmodifiableMap(m);
    }
}
