package net.vnsnap.certs.testkit;

import java.time.Instant;
import java.util.List;
import net.vnsnap.certs.testkit.TestCredentials.Grant;
import net.vnsnap.certs.testkit.TestCredentials.Level;
import net.vnsnap.certs.testkit.TestPki.Identity;

/** A small test federation of our own: a CA for {@code vnsnap:test}, a slice, and users alice, bob, carol. */
public final class TestFederation {

    public static final String AUTH = "vnsnap:test";
    public static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+s1";

    public final Identity ca = TestPki.ca(AUTH);
    public final Identity slice = TestPki.issue(ca, SLICE, false);
    public final Identity alice = TestPki.issue(ca, "urn:publicid:IDN+vnsnap:test+user+alice", false);
    public final Identity bob = TestPki.issue(ca, "urn:publicid:IDN+vnsnap:test+user+bob", false);
    public final Identity carol = TestPki.issue(ca, "urn:publicid:IDN+vnsnap:test+user+carol", false);

    public static final Instant EXPIRES = Instant.parse("2030-01-01T00:00:00Z");

    /** A slice credential delegated alice to bob to carol: three levels, every privilege delegatable. */
    public String threeLevels(String sigAlg) {
        List<Grant> all = TestCredentials.SLICE_GRANTS;
        return TestCredentials.chain(ca, slice, SLICE, List.of(new Level(alice, EXPIRES, all), new Level(bob, EXPIRES, all),
                new Level(carol, EXPIRES, List.of(new Grant("control", false), new Grant("info", false)))), sigAlg);
    }
}
