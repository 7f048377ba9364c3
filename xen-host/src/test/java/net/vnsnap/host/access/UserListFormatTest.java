package net.vnsnap.host.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import net.vnsnap.host.driver.GuestUser;
import org.junit.jupiter.api.Test;

class UserListFormatTest {
    private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOjntZt6C7z0M/SvfosOSlOW2/nvt3PCoNbhOirAM0fd a@x";

    @Test
    void encodesHeaderControlNicsUsersKeysAndEnd() {
        String text = UserListFormat.encode(7, List.of("52:54:00:CE:00:01"),
                List.of(new GuestUser("alice", KEY), new GuestUser("bob", List.of())));
        assertEquals("vnsnap-users 1 7\nctl 52:54:00:ce:00:01\nuser alice\nkey " + KEY + "\nuser bob\nend\n", text);
    }

    @Test
    void parsesAcknowledgements() {
        assertEquals(new UserListFormat.Ack(7, true, "users=2"), UserListFormat.parseAck("ok 7 users=2\r\n"));
        assertEquals(new UserListFormat.Ack(8, false, "login root belongs to a system account"),
                UserListFormat.parseAck("error 8 login root belongs to a system account"));
        assertThrows(IllegalArgumentException.class, () -> UserListFormat.parseAck("/ # ls"));
    }
}
