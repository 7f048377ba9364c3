package net.vnsnap.certs.trust;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.testkit.MutableClock;
import net.vnsnap.certs.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An operator adds, removes and replaces CA files; a running verifier follows without restart. */
class TrustRootsDirectoryTest {

    private static final Duration INTERVAL = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static GeniCode outcome(CredentialVerifier v) {
        try {
            v.verify(sliceCred(), chain("alice-cert.pem"), urn(SLICE), Set.of());
            return GeniCode.SUCCESS;
        } catch (CredentialException e) {
            return e.code();
        }
    }

    @Test
    void addingACaFileIsPickedUpAndRemovingItRevokesTrust() throws IOException {
        MutableClock clock = new MutableClock(VALID);
        TrustRoots roots = TrustRoots.fromDirectory(dir, clock, INTERVAL);
        CredentialVerifier v = new CredentialVerifier(roots, clock);
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, outcome(v));
        long v0 = roots.current().version();

        Files.copy(path("ch-cert.pem"), dir.resolve("gcf-ch.pem"));
        clock.advance(Duration.ofSeconds(1));
        // Within the interval the directory is not looked at: the hot path stays cheap.
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, outcome(v));
        assertEquals(v0, roots.current().version());
        clock.advance(INTERVAL);
        assertEquals(GeniCode.SUCCESS, outcome(v));
        assertEquals(1, roots.current().roots().size());
        assertNotEquals(v0, roots.current().version());

        // Unchanged listing: no reload, same version.
        long v1 = roots.current().version();
        clock.advance(INTERVAL);
        assertEquals(GeniCode.SUCCESS, outcome(v));
        assertEquals(v1, roots.current().version());

        Files.delete(dir.resolve("gcf-ch.pem"));
        clock.advance(INTERVAL);
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, outcome(v), "a removed root must not stay trusted through the chain cache");
        assertTrue(roots.current().roots().isEmpty());
    }

    @Test
    void replacingAFileAndIgnoringOthers() throws IOException {
        MutableClock clock = new MutableClock(VALID);
        Files.copy(path("ch-cert.pem"), dir.resolve("root.crt"));
        Files.writeString(dir.resolve("notes.txt"), "not a certificate");
        Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        TrustRoots roots = TrustRoots.fromDirectory(dir, clock, INTERVAL);
        CredentialVerifier v = new CredentialVerifier(roots, clock);
        assertEquals(GeniCode.SUCCESS, outcome(v), "a broken file must not hide the good ones");
        assertEquals(1, roots.current().roots().size());

        // Replace the CA file by another CA (atomically, as an operator's deploy tool would).
        Path tmp = dir.resolve("incoming.tmp");
        Files.writeString(tmp, TestPki.pem(List.of(TestPki.ca("other:ca").cert())));
        Files.move(tmp, dir.resolve("root.crt"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        clock.advance(INTERVAL);
        assertEquals(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED, outcome(v));
    }

    @Test
    void missingDirectoryIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> TrustRoots.fromDirectory(dir.resolve("nope"), at(VALID)));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not a directory"), e.getMessage());
    }
}
