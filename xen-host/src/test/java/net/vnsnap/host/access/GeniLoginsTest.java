package net.vnsnap.host.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.driver.GuestUser;
import org.junit.jupiter.api.Test;

class GeniLoginsTest {
    private static final String KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOjntZt6C7z0M/SvfosOSlOW2/nvt3PCoNbhOirAM0fd a@x";
    private static final String KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2ERueLiOzGBpNKsPs0A7BOFutf01zNJYI3CGl63iJC b@y";

    @Test
    void baseLoginIsTheLowercasedNameWithInvalidCharactersReplaced() throws InvalidUrnException {
        assertEquals("alice", GeniLogins.baseLogin(GeniUrn.parse("urn:publicid:IDN+ch.geni.net+user+alice")));
        assertEquals("alice_smith", GeniLogins.baseLogin(GeniUrn.parse("urn:publicid:IDN+ch.geni.net+user+Alice.Smith")));
        assertEquals("u2cool", GeniLogins.baseLogin(GeniUrn.parse("urn:publicid:IDN+ch.geni.net+user+2cool")));
        assertEquals("a_b", GeniLogins.baseLogin(GeniUrn.parse("urn:publicid:IDN+ex.org+user+a%3Ab")));
        String longName = "x".repeat(40);
        assertEquals(32, GeniLogins.baseLogin(GeniUrn.parse("urn:publicid:IDN+ex.org+user+" + longName)).length());
    }

    @Test
    void loginsAreUniqueAndStable() throws InvalidUrnException {
        GeniLogins l = new GeniLogins();
        assertEquals("alice", l.loginFor("urn:publicid:IDN+ch.geni.net+user+alice"));
        assertEquals("alice2", l.loginFor("urn:publicid:IDN+emulab.net+user+alice"));
        assertEquals("alice", l.loginFor("urn:publicid:IDN+CH.GENI.NET+user+alice"), "authority case does not matter");
        assertEquals("root2", l.loginFor("urn:publicid:IDN+ex.org+user+root"), "system accounts are never handed out");
        String y = "y".repeat(32);
        assertEquals(y, l.loginFor("urn:publicid:IDN+a.org+user+" + y + "z"));
        assertEquals("y".repeat(31) + "2", l.loginFor("urn:publicid:IDN+b.org+user+" + y + "w"));

        GeniLogins reloaded = new GeniLogins(l.assignments());
        assertEquals("alice2", reloaded.loginFor("urn:publicid:IDN+emulab.net+user+alice"));
        assertEquals("alice3", reloaded.loginFor("urn:publicid:IDN+other.org+user+alice"));
        assertEquals(l.assignments().size() + 1, reloaded.assignments().size());
    }

    @Test
    void guestUsersMergeDuplicatesAndRejectNonUsers() throws InvalidUrnException {
        GeniLogins l = new GeniLogins();
        List<GuestUser> users = l.guestUsers(List.of(
                new GeniLogins.GeniUser("urn:publicid:IDN+ch.geni.net+user+bob", List.of(KEY_A)),
                new GeniLogins.GeniUser("urn:publicid:IDN+ch.geni.net+user+alice", List.of(KEY_B)),
                new GeniLogins.GeniUser("urn:publicid:IDN+ch.geni.net+user+bob", List.of(KEY_A, KEY_B))));
        assertEquals(List.of(new GuestUser("bob", KEY_A, KEY_B), new GuestUser("alice", KEY_B)), users);
        assertThrows(InvalidUrnException.class, () -> l.loginFor("urn:publicid:IDN+ch.geni.net+slice+bob"));
        assertThrows(InvalidUrnException.class, () -> l.loginFor("alice"));
        assertThrows(IllegalArgumentException.class, () -> new GeniLogins(Map.of("urn:publicid:IDN+a+user+x", "Bad Name")));
    }

    @Test
    void guestUserRejectsKeysThatCouldInjectLinesOrOptions() {
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("alice", KEY_A + "\nuser root"));
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("alice", "command=\"sh\" " + KEY_A));
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("Alice", KEY_A));
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("a b", KEY_A));
        assertTrue(new GuestUser("alice", List.of()).keys().isEmpty());
    }
}
