package net.vnsnap.certs.federation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;

/**
 * A small GENI federation kept in one directory: an authority (CA, slice and member authority),
 * its trust-root directory, users, aggregate managers and slices, with their keys and credentials.
 *
 * <pre>
 * DIR/authority/cert.pem, key.pem       the CA (self-signed)
 * DIR/trusted-roots/&lt;authority&gt;.pem     what an AM or hostd trusts
 * DIR/users/NAME/cert.pem, key.pem, user-cred.xml
 * DIR/am/NAME/cert.pem, key.pem         an aggregate manager or host agent (TLS server and client)
 * DIR/slices/NAME/cert.pem              a slice; DIR/slices/NAME/USER-cred.xml its slice credentials
 * </pre>
 */
public final class LocalFederation {

    private final Path dir;
    private final Clock clock;
    private final CredentialSigner.Algorithm algorithm;

    private LocalFederation(Path dir, Clock clock, CredentialSigner.Algorithm algorithm) {
        this.dir = dir;
        this.clock = clock;
        this.algorithm = algorithm;
    }

    /** Opens an existing federation directory (one made by {@link #create}). */
    public static LocalFederation open(Path dir, Clock clock) throws IOException {
        if (!Files.isRegularFile(dir.resolve("authority/cert.pem"))) {
            throw new IOException(dir + " is not a federation directory: authority/cert.pem is missing (run init-ca first)");
        }
        return new LocalFederation(dir, clock, CredentialSigner.Algorithm.RSA_SHA256);
    }

    /**
     * Creates a federation with a new authority named by plain text (e.g. {@code vnsnap//local}); its URN is
     * {@code urn:publicid:IDN+<authority>+authority+sa}. Refuses to overwrite an existing authority.
     */
    public static LocalFederation create(Path dir, String plainAuthority, Duration validity, Clock clock)
            throws IOException, GeneralSecurityException, InvalidUrnException {
        if (Files.exists(dir.resolve("authority/key.pem"))) {
            throw new IOException(dir + " already holds an authority; choose another directory");
        }
        GeniUrn urn = GeniUrn.of(plainAuthority, "authority", "sa");
        Identity ca = CertificateIssuer.newAuthority(urn, validity, clock);
        LocalFederation f = new LocalFederation(dir, clock, CredentialSigner.Algorithm.RSA_SHA256);
        f.save(dir.resolve("authority"), ca);
        PemFiles.write(dir.resolve("trusted-roots").resolve(urn.authority().replace(':', '_') + ".pem"),
                PemFiles.certificates(ca.chain()), false);
        return f;
    }

    /** The same federation signing credentials with another algorithm (RSA-SHA1 for old peers). */
    public LocalFederation withAlgorithm(CredentialSigner.Algorithm alg) {
        return new LocalFederation(dir, clock, alg);
    }

    public Path directory() {
        return dir;
    }

    /** The directory an AM or host agent should use as its trust roots. */
    public Path trustRootsDirectory() {
        return dir.resolve("trusted-roots");
    }

    public Identity authority() throws IOException, GeneralSecurityException {
        return load(dir.resolve("authority"));
    }

    /** The authority's URN, e.g. {@code urn:publicid:IDN+vnsnap:local+authority+sa}. */
    public GeniUrn authorityUrn() throws IOException, GeneralSecurityException {
        return FederationNames.urnOf(authority().certificate());
    }

    /** Issues a user certificate and a user credential; returns the user's identity. */
    public Identity issueUser(String name, String email, Duration validity)
            throws IOException, GeneralSecurityException, InvalidUrnException {
        CertificateIssuer issuer = issuer();
        GeniUrn urn = issuer.urnFor("user", name);
        Path userDir = dir.resolve("users").resolve(name);
        if (Files.exists(userDir.resolve("key.pem"))) {
            throw new IOException("user " + name + " already exists in " + userDir);
        }
        Identity user = issuer.issue(new CertificateIssuer.Subject(urn, CertificateIssuer.Role.USER, email, List.of()), validity);
        save(userDir, user);
        String cred = factory().userCredential(issuer.authority(), user.chain(), clock.instant().plus(validity));
        PemFiles.write(userDir.resolve("user-cred.xml"), cred, false);
        return user;
    }

    public Identity user(String name) throws IOException, GeneralSecurityException {
        return load(dir.resolve("users").resolve(name));
    }

    public Path userDirectory(String name) {
        return dir.resolve("users").resolve(name);
    }

    /**
     * Issues a server identity (an aggregate manager or host agent) named {@code urn:publicid:IDN+<authority>:<name>+authority+am},
     * valid for TLS on the given host names and addresses.
     */
    public Identity issueServer(String name, List<String> hostNames, Duration validity)
            throws IOException, GeneralSecurityException, InvalidUrnException {
        CertificateIssuer issuer = issuer();
        GeniUrn urn = GeniUrn.ofEncoded(issuer.authorityUrn().authority() + ":" + name, "authority", "am");
        Identity server = issuer.issue(new CertificateIssuer.Subject(urn, CertificateIssuer.Role.SERVER, null, hostNames), validity);
        save(serverDirectory(name), server);
        return server;
    }

    public Path serverDirectory(String name) {
        return dir.resolve("am").resolve(name);
    }

    /** Issues (or reuses) the slice's certificate and a slice credential for the user; returns the credential file. */
    public Path issueSliceCredential(String userName, String sliceName, Duration validity)
            throws IOException, GeneralSecurityException, InvalidUrnException {
        CertificateIssuer issuer = issuer();
        Identity user = user(userName);
        Path sliceDir = dir.resolve("slices").resolve(sliceName);
        List<X509Certificate> slice;
        if (Files.isRegularFile(sliceDir.resolve("cert.pem"))) {
            slice = readCertificates(sliceDir.resolve("cert.pem"));
        } else {
            GeniUrn urn = issuer.urnFor("slice", sliceName);
            // Slices outlive single credentials: a year, renewed by issuing new credentials.
            slice = issuer.issue(new CertificateIssuer.Subject(urn, CertificateIssuer.Role.SLICE, null, List.of()),
                    Duration.ofDays(365)).chain();
            PemFiles.write(sliceDir.resolve("cert.pem"), PemFiles.certificates(slice), false);
        }
        Instant expires = clock.instant().plus(validity);
        Instant sliceEnd = slice.get(0).getNotAfter().toInstant();
        if (expires.isAfter(sliceEnd)) {
            expires = sliceEnd;
        }
        String cred = factory().sliceCredential(issuer.authority(), user.chain(), slice, expires);
        Path out = sliceDir.resolve(userName + "-cred.xml");
        PemFiles.write(out, cred, false);
        return out;
    }

    /** The URN of a slice of this federation. */
    public GeniUrn sliceUrn(String sliceName) throws IOException, GeneralSecurityException, InvalidUrnException {
        return issuer().urnFor("slice", sliceName);
    }

    /** A credential factory signing with this federation's algorithm and clock. */
    public CredentialFactory factory() {
        return new CredentialFactory(clock, new CredentialSigner(algorithm));
    }

    private CertificateIssuer issuer() throws IOException, GeneralSecurityException {
        return new CertificateIssuer(authority(), clock);
    }

    private void save(Path where, Identity id) throws IOException {
        PemFiles.write(where.resolve("key.pem"), PemFiles.privateKey(id.key()), true);
        PemFiles.write(where.resolve("cert.pem"), PemFiles.certificates(id.chain()), false);
    }

    /** Loads an identity saved as {@code cert.pem} + {@code key.pem} in a directory. */
    public static Identity load(Path where) throws IOException, GeneralSecurityException {
        try {
            return new Identity(GeniCertificate.readPrivateKey(where.resolve("key.pem")), readCertificates(where.resolve("cert.pem")));
        } catch (CertificateReadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Reads every certificate of a PEM file, in order. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        try {
            return GeniCertificate.readChain(file);
        } catch (CertificateReadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
