package net.vnsnap.am.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.access.GeniLogins;
import net.vnsnap.host.access.GeniLogins.GeniUser;
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.rspec.model.Login;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A slice's experimenters as the AM keeps them: the last {@code geni_users} list, the Unix login each user URN
 * was given (assigned once per slice and stored, so it never changes or passes to another user), and each VM's
 * SSH endpoint as its host last reported it.
 */
final class SliceUsers {
    private static final Logger LOG = LogManager.getLogger(SliceUsers.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Slice attribute: URN → login assignments, a JSON object in assignment order. */
    static final String LOGINS = "logins";
    /** Slice attribute prefix: {@code ssh.<vm name>} = {@code host:port} of that VM's SSH forward. */
    static final String SSH = "ssh.";

    private final List<GeniUser> users;
    private final GeniLogins logins;

    private SliceUsers(List<GeniUser> users, GeniLogins logins) {
        this.users = users;
        this.logins = logins;
    }

    /** The users and login assignments stored with a slice (none: an empty list). */
    static SliceUsers of(SliceRecord rec) throws GeniException {
        List<GeniUser> users = new ArrayList<>();
        Map<String, String> assigned = new LinkedHashMap<>();
        try {
            String u = rec.attributes().get(SliceModel.USERS);
            if (u != null) {
                for (Map<String, Object> m : JSON.readValue(u, new TypeReference<List<Map<String, Object>>>() { })) {
                    List<String> keys = new ArrayList<>();
                    if (m.get("keys") instanceof List<?> l) {
                        l.forEach(k -> keys.add(String.valueOf(k)));
                    }
                    users.add(new GeniUser(String.valueOf(m.get("urn")), keys));
                }
            }
            String a = rec.attributes().get(LOGINS);
            if (a != null) {
                assigned.putAll(JSON.readValue(a, new TypeReference<LinkedHashMap<String, String>>() { }));
            }
            return new SliceUsers(users, new GeniLogins(assigned));
        } catch (JsonProcessingException | InvalidUrnException | IllegalArgumentException e) {
            throw new GeniException(GeniCode.SERVERERROR, "the stored users of " + rec.urn() + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The users as guests get them: one account per user, its login assigned now if new. Key lines a guest
     * would refuse (options, line breaks, not OpenSSH) are left out and logged; a URN that is not a user URN
     * is BADARGS.
     */
    List<GuestUser> guestUsers() throws GeniException {
        List<GeniUser> usable = new ArrayList<>();
        for (GeniUser u : users) {
            List<String> keys = new ArrayList<>();
            // Some tools send several keys in one string, one per line.
            for (String k : u.keys().stream().flatMap(String::lines).map(String::strip).filter(x -> !x.isEmpty()).toList()) {
                try {
                    new GuestUser("probe", List.of(k));
                    keys.add(k);
                } catch (IllegalArgumentException e) {
                    LOG.warn("geni_users: a key of {} is left out: {}", u.urn(), e.getMessage());
                }
            }
            usable.add(new GeniUser(u.urn(), keys));
        }
        try {
            return logins.guestUsers(usable);
        } catch (InvalidUrnException e) {
            throw new GeniException(GeniCode.BADARGS, "geni_users: " + e.getMessage());
        }
    }

    /** The record with the login assignments made so far stored in it. */
    SliceRecord keep(SliceRecord rec) {
        try {
            return rec.withAttribute(LOGINS, JSON.writeValueAsString(logins.assignments()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The logins of the listed users, in list order, without duplicates (stored ones; a URN never assigned gets one now). */
    List<String> loginNames() {
        List<String> out = new ArrayList<>();
        for (GeniUser u : users) {
            try {
                String l = logins.loginFor(u.urn());
                if (!out.contains(l)) {
                    out.add(l);
                }
            } catch (InvalidUrnException e) {
                LOG.debug("no login for {}: {}", u.urn(), e.getMessage());
            }
        }
        return out;
    }

    /** Each VM's login elements (one per user) by VM name, for the VMs whose SSH endpoint is known. */
    static Map<String, List<Login>> loginsByVm(SliceRecord rec) throws GeniException {
        List<String> names = of(rec).loginNames();
        Map<String, List<Login>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : rec.attributes().entrySet()) {
            if (!a.getKey().startsWith(SSH)) {
                continue;
            }
            SshEndpoint ep = endpoint(a.getValue());
            if (ep == null) {
                continue;
            }
            List<Login> l = new ArrayList<>();
            for (String n : names) {
                l.add(Login.ssh(ep.host(), ep.port(), n));
            }
            out.put(a.getKey().substring(SSH.length()), l);
        }
        return out;
    }

    /** "host:port" as stored, or null when malformed. */
    static SshEndpoint endpoint(String stored) {
        int c = stored == null ? -1 : stored.lastIndexOf(':');
        if (c <= 0) {
            return null;
        }
        try {
            return new SshEndpoint(stored.substring(0, c), Integer.parseInt(stored.substring(c + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The record with a VM's SSH endpoint stored, or removed when {@code ep} is null. */
    static SliceRecord withEndpoint(SliceRecord rec, String vm, SshEndpoint ep) {
        return rec.withAttribute(SSH + vm, ep == null ? null : ep.host() + ":" + ep.port());
    }
}
