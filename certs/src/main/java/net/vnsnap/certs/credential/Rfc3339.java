package net.vnsnap.certs.credential;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads credential times: RFC 3339 with {@code Z} or an offset, optional fractions; no offset means UTC, as the reference tools read it. */
public final class Rfc3339 {

    private Rfc3339() {
    }

    /** The instant {@code text} names; throws a MALFORMED credential failure naming {@code what}. */
    public static Instant parse(String text, String what) throws CredentialException {
        if (text == null || text.isBlank()) {
            throw new CredentialException(CredentialFailure.MALFORMED, what + " is missing");
        }
        String t = text.trim();
        try {
            return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(t, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new CredentialException(CredentialFailure.MALFORMED, what + " '" + t
                        + "' is not an RFC 3339 time such as 2030-11-25T12:56:10Z", e);
            }
        }
    }
}
