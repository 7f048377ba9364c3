package net.vnsnap.certs.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;

/** The shared GENI fixtures and the clock instants their README names. */
public final class Fixtures {

    /** Everything valid. */
    public static final Instant VALID = Instant.parse("2027-06-01T00:00:00Z");
    /** The slice credentials' expiry instant: already expired. */
    public static final Instant SLICE_EXPIRY = Instant.parse("2030-11-25T12:56:10Z");
    /** Slice credentials expired, user credential still valid. */
    public static final Instant AFTER_SLICE_EXPIRY = Instant.parse("2030-11-25T12:56:11Z");
    /** Every credential expired. */
    public static final Instant ALL_EXPIRED = Instant.parse("2030-11-25T12:56:14Z");
    /** Before bob's certificate is valid (alice's, the slice's and the CA's already are). */
    public static final Instant BEFORE_BOB = Instant.parse("2026-11-26T12:56:15Z");

    public static final String SLICE = "urn:publicid:IDN+geni:gpo:gcf+slice+fixture2";
    public static final String ALICE = "urn:publicid:IDN+geni:gpo:gcf+user+alice";
    public static final String BOB = "urn:publicid:IDN+geni:gpo:gcf+user+bob";

    private Fixtures() {
    }

    public static Path dir() {
        String shared = System.getProperty("vnsnap.shared");
        if (shared == null) {
            throw new IllegalStateException("system property vnsnap.shared is not set (Maven sets it)");
        }
        return Path.of(shared, "geni-fixtures");
    }

    public static Path path(String name) {
        return dir().resolve(name);
    }

    public static String text(String name) {
        try {
            return Files.readString(path(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<X509Certificate> chain(String name) {
        try {
            return GeniCertificate.readChain(path(name));
        } catch (CertificateReadException e) {
            throw new IllegalStateException(e);
        }
    }

    public static X509Certificate ca() {
        return chain("ch-cert.pem").get(0);
    }

    public static TrustRoots roots() {
        return TrustRoots.of(List.of(ca()));
    }

    public static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    public static GeniUrn urn(String s) {
        try {
            return GeniUrn.parse(s);
        } catch (InvalidUrnException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static String sliceCred() {
        return text("slice-cred-fixture2.xml");
    }

    public static String userCred() {
        return text("user-cred-alice.xml");
    }

    public static String delegatedCred() {
        return text("slice-cred-fixture2-delegated-to-bob.xml");
    }
}
