package net.vnsnap.certs.credential;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Credential times in every form GENI tools write them. */
class Rfc3339Test {

    private static final Instant T = Instant.parse("2030-11-25T12:56:10Z");

    @Test
    void zuluOffsetFractionsAndNaive() throws CredentialException {
        assertEquals(T, Rfc3339.parse("2030-11-25T12:56:10Z", "x"));
        assertEquals(T, Rfc3339.parse("2030-11-25T12:56:10+00:00", "x"));
        assertEquals(T, Rfc3339.parse(" 2030-11-25T12:56:10Z\n", "x"));
        assertEquals(T.plusMillis(250), Rfc3339.parse("2030-11-25T12:56:10.25Z", "x"));
        assertEquals(T.plusNanos(123456000), Rfc3339.parse("2030-11-25T12:56:10.123456+00:00", "x"));
        assertEquals(T, Rfc3339.parse("2030-11-25T14:56:10+02:00", "x"));
        assertEquals(T, Rfc3339.parse("2030-11-25T12:56:10", "x"), "no offset is read as UTC, as the reference tools do");
    }

    @Test
    void garbageIsMalformedWithTheFieldNamed() {
        CredentialException e = assertThrows(CredentialException.class, () -> Rfc3339.parse("next tuesday", "<expires> of credential ref0"));
        assertEquals(CredentialFailure.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("<expires> of credential ref0") && e.getMessage().contains("next tuesday"));
        assertThrows(CredentialException.class, () -> Rfc3339.parse("", "x"));
        assertThrows(CredentialException.class, () -> Rfc3339.parse(null, "x"));
    }
}
