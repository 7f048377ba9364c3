package net.vnsnap.host.driver;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An account the guest creates for an experimenter, who logs in over SSH with any of its public keys.
 *
 * @param login the Unix login name (see {@code net.vnsnap.host.access.GeniLogins} for deriving it from a GENI URN)
 * @param keys  OpenSSH public key lines ({@code type base64 [comment]}); an empty list keeps the account but locks it
 */
public record GuestUser(String login, List<String> keys) {
    /** Portable Unix login names; 32 characters is the usual utmp limit. */
    public static final Pattern LOGIN = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    /**
     * A key line without options: options ({@code command=}, {@code from=}) are the host's business, and a line
     * break or control character could smuggle a second entry into the list the guest reads.
     */
    private static final Pattern KEY = Pattern.compile("(ssh-|ecdsa-sha2-|sk-)[a-z0-9@.-]* [A-Za-z0-9+/=]{16,}( [\\x20-\\x7e]*)?");

    public GuestUser {
        Objects.requireNonNull(login, "login");
        if (!LOGIN.matcher(login).matches()) {
            throw new IllegalArgumentException("login '" + login + "' must match " + LOGIN.pattern());
        }
        keys = keys == null ? List.of() : keys.stream().map(k -> Objects.requireNonNull(k, "key").strip()).toList();
        for (String k : keys) {
            if (!KEY.matcher(k).matches()) {
                throw new IllegalArgumentException("not an OpenSSH public key line for " + login + ": '" + abbreviate(k) + "'");
            }
        }
    }

    public GuestUser(String login, String... keys) {
        this(login, List.of(keys));
    }

    private static String abbreviate(String k) {
        return k.length() <= 40 ? k : k.substring(0, 37) + "...";
    }
}
