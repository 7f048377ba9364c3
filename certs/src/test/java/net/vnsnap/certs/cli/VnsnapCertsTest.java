package net.vnsnap.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VnsnapCertsTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** The outcome of one command line. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new VnsnapCerts().run(args, new VnsnapCerts.Context(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), CLOCK));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void buildsAFederationStepByStep() throws Exception {
        String fed = dir.resolve("fed").toString();
        Run ca = run("init-ca", "--dir", fed, "--authority", "vnsnap//cli");
        assertEquals(0, ca.status(), ca.err());
        assertTrue(ca.out().contains("urn:publicid:IDN+vnsnap:cli+authority+sa"), ca.out());
        assertEquals(0, run("issue-user", "--dir", fed, "--name", "alice", "--email", "alice@example.org").status());
        assertEquals(0, run("issue-user", "--dir", fed, "--name", "bob").status());
        Run am = run("init-am", "--dir", fed, "--host", "localhost", "--host", "127.0.0.1");
        assertEquals(0, am.status(), am.err());
        assertTrue(am.out().contains("urn:publicid:IDN+vnsnap:cli:am+authority+am"), am.out());
        Run slice = run("issue-slice-credential", "--dir", fed, "--user", "alice", "--slice", "demo", "--days", "7");
        assertEquals(0, slice.status(), slice.err());
        Path cred = Path.of(fed, "slices", "demo", "alice-cred.xml");
        assertTrue(Files.readString(cred).contains("<expires>2027-01-08T00:00:00Z</expires>"));
        Path delegated = dir.resolve("bob-cred.xml");
        Run del = run("delegate", "--credential", cred.toString(), "--cert", fed + "/users/alice/cert.pem",
                "--key", fed + "/users/alice/key.pem", "--to", fed + "/users/bob/cert.pem", "--privileges", "info,control",
                "--out", delegated.toString());
        assertEquals(0, del.status(), del.err());
        assertTrue(Files.readString(delegated).contains("+user+bob</owner_urn>"));
        Run sf = run("speaks-for", "--user-cert", fed + "/users/alice/cert.pem", "--user-key", fed + "/users/alice/key.pem",
                "--tool-cert", fed + "/users/bob/cert.pem");
        assertEquals(0, sf.status(), sf.err());
        assertTrue(sf.out().contains("<type>abac</type>"), sf.out());
    }

    @Test
    void explainsMistakesOnStandardErrorWithANonZeroStatus() {
        String fed = dir.resolve("fed").toString();
        Run none = run();
        assertEquals(2, none.status());
        assertTrue(none.err().contains("usage: vnsnap-certs"));
        Run unknown = run("frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown command 'frobnicate'"));
        Run missing = run("issue-user", "--dir", fed);
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("Missing required option: name"), missing.err());
        Run notFederation = run("issue-user", "--dir", fed, "--name", "alice");
        assertEquals(1, notFederation.status());
        assertTrue(notFederation.err().contains("not a federation directory"), notFederation.err());
        assertEquals(0, run("init-ca", "--dir", fed).status());
        Run again = run("init-ca", "--dir", fed);
        assertEquals(1, again.status());
        assertTrue(again.err().contains("already holds an authority"), again.err());
        Run badDays = run("issue-user", "--dir", fed, "--name", "carol", "--days", "soon");
        assertEquals(2, badDays.status());
        assertTrue(badDays.err().contains("number of days"), badDays.err());
        Run badName = run("issue-user", "--dir", fed, "--name", "9lives");
        assertEquals(1, badName.status());
        assertTrue(badName.err().contains("user name '9lives'"), badName.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"init-ca", "issue-user", "init-am", "issue-slice-credential", "delegate", "speaks-for"}) {
            Run help = run(cmd, "--help");
            assertEquals(0, help.status(), cmd);
            assertTrue(help.out().contains("usage: vnsnap-certs " + cmd), help.out());
            assertFalse(help.out().isBlank());
        }
        Run top = run("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("issue-slice-credential"));
    }
}
