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
        for (String cmd : new String[] {"init-ca", "issue-user", "init-am", "issue-slice-credential", "delegate", "speaks-for",
            "show", "verify"}) {
            Run help = run(cmd, "--help");
            assertEquals(0, help.status(), cmd);
            assertTrue(help.out().contains("usage: vnsnap-certs " + cmd), help.out());
            assertFalse(help.out().isBlank());
        }
        Run top = run("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("issue-slice-credential"));
    }

    static final Path FIXTURES = Path.of(System.getProperty("vnsnap.shared"), "geni-fixtures");

    private Path fixtureRoots() throws Exception {
        Path roots = dir.resolve("roots");
        Files.createDirectories(roots);
        Files.copy(FIXTURES.resolve("ch-cert.pem"), roots.resolve("ch-cert.pem"));
        return roots;
    }

    @Test
    void verifyAcceptsTheReferenceCredentialsOnlyForTheirCallerTargetAndTime() throws Exception {
        String roots = fixtureRoots().toString();
        String slice = "urn:publicid:IDN+geni:gpo:gcf+slice+fixture2";
        Run ok = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("slice-cred-fixture2-delegated-to-bob.xml").toString(),
                "--caller-cert", FIXTURES.resolve("bob-cert.pem").toString(), "--target", slice, "--operation", "createsliver",
                "--at", "2027-06-01T00:00:00Z");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().startsWith("VALID credential of urn:publicid:IDN+geni:gpo:gcf+user+bob"), ok.out());
        Run wrongCaller = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("slice-cred-fixture2.xml").toString(),
                "--caller-cert", FIXTURES.resolve("bob-cert.pem").toString(), "--at", "2027-06-01T00:00:00Z");
        assertEquals(1, wrongCaller.status());
        assertTrue(wrongCaller.err().contains("geni_code 22"), wrongCaller.err());
        Run wrongTarget = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("slice-cred-fixture2.xml").toString(),
                "--target", "urn:publicid:IDN+geni:gpo:gcf+slice+other", "--at", "2027-06-01T00:00:00Z");
        assertEquals(1, wrongTarget.status());
        Run expired = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("slice-cred-fixture2.xml").toString(),
                "--at", "2030-11-25T12:56:10Z");
        assertEquals(1, expired.status());
        assertTrue(expired.err().contains("geni_code 21"), expired.err());
        Run forbidden = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("user-cred-alice.xml").toString(),
                "--operation", "createsliver", "--at", "2027-06-01T00:00:00Z");
        assertEquals(1, forbidden.status());
        assertTrue(forbidden.err().contains("geni_code 3 "), forbidden.err());
        Path empty = dir.resolve("empty-roots");
        Files.createDirectories(empty);
        Run untrusted = run("verify", "--roots", empty.toString(), "--credential",
                FIXTURES.resolve("slice-cred-fixture2.xml").toString(), "--at", "2027-06-01T00:00:00Z");
        assertEquals(1, untrusted.status());
        assertTrue(untrusted.err().contains("geni_code 23"), untrusted.err());
        Run badTime = run("verify", "--roots", roots, "--credential", FIXTURES.resolve("slice-cred-fixture2.xml").toString(),
                "--at", "tomorrow");
        assertEquals(2, badTime.status());
    }

    @Test
    void verifyChecksOurOwnSpeaksForCredentials() throws Exception {
        String fed = dir.resolve("fed").toString();
        assertEquals(0, run("init-ca", "--dir", fed).status());
        assertEquals(0, run("issue-user", "--dir", fed, "--name", "alice").status());
        assertEquals(0, run("issue-user", "--dir", fed, "--name", "tool").status());
        Path sf = dir.resolve("sf.xml");
        assertEquals(0, run("speaks-for", "--user-cert", fed + "/users/alice/cert.pem", "--user-key", fed + "/users/alice/key.pem",
                "--tool-cert", fed + "/users/tool/cert.pem", "--out", sf.toString()).status());
        Run ok = run("verify", "--roots", fed + "/trusted-roots", "--credential", sf.toString(), "--caller-cert",
                fed + "/users/tool/cert.pem", "--speaking-for", "urn:publicid:IDN+vnsnap:local+user+alice");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("may act for urn:publicid:IDN+vnsnap:local+user+alice"), ok.out());
        Run otherTool = run("verify", "--roots", fed + "/trusted-roots", "--credential", sf.toString(), "--caller-cert",
                fed + "/users/alice/cert.pem", "--speaking-for", "urn:publicid:IDN+vnsnap:local+user+alice");
        assertEquals(1, otherTool.status());
    }

    @Test
    void showDescribesCertificatesAndCredentialLevels() throws Exception {
        Run cert = run("show", FIXTURES.resolve("alice-cert.pem").toString());
        assertEquals(0, cert.status(), cert.err());
        assertTrue(cert.out().startsWith("certificate: urn:publicid:IDN+geni:gpo:gcf+user+alice"), cert.out());
        assertTrue(cert.out().contains("email     alice@example.org"), cert.out());
        assertTrue(cert.out().contains("issuer 1: urn:publicid:IDN+geni:gpo:gcf+authority+sa"), cert.out());
        Run cred = run("show", FIXTURES.resolve("slice-cred-fixture2-delegated-to-bob.xml").toString());
        assertEquals(0, cred.status(), cred.err());
        assertTrue(cred.out().startsWith("credential ref1 (privilege, signature Sig_ref1)"), cred.out());
        assertTrue(cred.out().contains("parent 1 ref0"), cred.out());
        assertTrue(cred.out().contains("control (delegatable)"), cred.out());
        assertEquals(2, run("show").status());
        assertEquals(2, run("show", dir.resolve("missing.pem").toString()).status());
    }
}
