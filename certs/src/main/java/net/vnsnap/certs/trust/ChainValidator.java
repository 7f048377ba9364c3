package net.vnsnap.certs.trust;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import net.vnsnap.certs.x509.GeniCertificate;

/**
 * Builds and checks a path from a certificate to a trusted root, from the roots plus caller-supplied
 * intermediates: every certificate valid at the clock's time, each signed by the next, every issuer a CA.
 * Successful paths are cached per certificate and root-set version for as long as the path is valid;
 * failures are never cached.
 */
public final class ChainValidator {

    /** Longest path accepted, leaf and root included; GENI chains have two or three. */
    public static final int MAX_DEPTH = 8;
    /** Cache entries kept before the cache is emptied; bounds memory against a flood of distinct certificates. */
    private static final int MAX_CACHE = 10_000;

    private record Key(String fingerprint, long rootsVersion) {
    }

    private final TrustRoots roots;
    /** The time chains are checked at; injected so tests and the AM agree on "now". */
    private final Clock clock;
    /** Verified paths by leaf fingerprint and roots version; null when caching is off. */
    private final Map<Key, ValidatedChain> cache;

    public ChainValidator(TrustRoots roots, Clock clock, boolean cacheChains) {
        this.roots = Objects.requireNonNull(roots, "roots");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cache = cacheChains ? new ConcurrentHashMap<>() : null;
    }

    public TrustRoots roots() {
        return roots;
    }

    /** How many verified chains are cached now (0 when caching is off); for tests. */
    int cachedChains() {
        return cache == null ? 0 : cache.size();
    }

    /** Validates {@code leaf} at the clock's current time, using {@code intermediates} (may be empty) to build the path. */
    public ValidatedChain validate(X509Certificate leaf, List<X509Certificate> intermediates) throws ChainException {
        Instant now = clock.instant();
        TrustRoots.Snapshot snap = roots.current();
        Key key = null;
        if (cache != null) {
            key = new Key(GeniCertificate.fingerprint(leaf), snap.version());
            ValidatedChain hit = cache.get(key);
            if (hit != null) {
                if (hit.validAt(now)) {
                    return hit;
                }
                cache.remove(key, hit);
            }
        }
        Failure worst = new Failure();
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        if (!build(leaf, intermediates == null ? List.of() : intermediates, snap.roots(), now, path, worst)) {
            throw worst.toException(leaf);
        }
        Instant nb = Instant.MIN;
        Instant na = Instant.MAX;
        for (X509Certificate c : path) {
            Instant b = c.getNotBefore().toInstant();
            Instant a = c.getNotAfter().toInstant();
            nb = b.isAfter(nb) ? b : nb;
            na = a.isBefore(na) ? a : na;
        }
        ValidatedChain chain = new ValidatedChain(path, nb, na, snap.version());
        if (cache != null) {
            if (cache.size() >= MAX_CACHE) {
                cache.clear();
            }
            cache.put(key, chain);
        }
        return chain;
    }

    /** Extends {@code path} (whose last element is {@code cert}) to a trusted root; depth-first over candidate issuers. */
    private static boolean build(X509Certificate cert, List<X509Certificate> intermediates, List<X509Certificate> trusted,
            Instant now, List<X509Certificate> path, Failure worst) {
        if (!inValidity(cert, now, worst)) {
            return false;
        }
        for (X509Certificate r : trusted) {
            if (sameCertificate(cert, r)) {
                return true;
            }
        }
        if (path.size() >= MAX_DEPTH) {
            worst.note(ChainException.Reason.UNTRUSTED, "the path is longer than " + MAX_DEPTH + " certificates");
            return false;
        }
        for (X509Certificate r : trusted) {
            if (issuedBy(cert, r, worst) && isCa(r, worst) && inValidity(r, now, worst)) {
                path.add(r);
                return true;
            }
        }
        for (X509Certificate i : intermediates) {
            if (path.contains(i) || !issuedBy(cert, i, worst) || !isCa(i, worst)) {
                continue;
            }
            path.add(i);
            if (build(i, intermediates, trusted, now, path, worst)) {
                return true;
            }
            path.remove(path.size() - 1);
        }
        return false;
    }

    private static boolean sameCertificate(X509Certificate a, X509Certificate b) {
        if (a.equals(b)) {
            return true;
        }
        // A re-encoded copy of a root with the same subject and key is that root.
        return a.getSubjectX500Principal().equals(b.getSubjectX500Principal())
                && Arrays.equals(a.getPublicKey().getEncoded(), b.getPublicKey().getEncoded());
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate issuer, Failure worst) {
        if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            worst.note(ChainException.Reason.UNTRUSTED, "the signature of " + name(cert) + " does not verify with the key of "
                    + name(issuer) + " (same subject name, different key)");
            return false;
        }
    }

    private static boolean isCa(X509Certificate issuer, Failure worst) {
        if (issuer.getBasicConstraints() >= 0) {
            return true;
        }
        worst.note(ChainException.Reason.ISSUER_NOT_CA, name(issuer) + " issued a certificate but is not a CA (basicConstraints CA:TRUE missing)");
        return false;
    }

    private static boolean inValidity(X509Certificate c, Instant now, Failure worst) {
        if (now.isBefore(c.getNotBefore().toInstant())) {
            worst.note(ChainException.Reason.NOT_YET_VALID, "certificate " + name(c) + " is not valid before "
                    + c.getNotBefore().toInstant() + " (now " + now + ")");
            return false;
        }
        if (now.isAfter(c.getNotAfter().toInstant())) {
            worst.note(ChainException.Reason.EXPIRED, "certificate " + name(c) + " expired at "
                    + c.getNotAfter().toInstant() + " (now " + now + ")");
            return false;
        }
        return true;
    }

    static String name(X509Certificate c) {
        return GeniCertificate.of(c).describe();
    }

    /** The most telling failure seen while searching: anything specific beats "no issuer found". */
    private static final class Failure {
        private ChainException.Reason reason;
        private String detail;

        void note(ChainException.Reason r, String d) {
            if (reason == null || reason == ChainException.Reason.UNTRUSTED) {
                reason = r;
                detail = d;
            }
        }

        ChainException toException(X509Certificate leaf) {
            if (reason == null) {
                return new ChainException(ChainException.Reason.UNTRUSTED, "certificate " + name(leaf)
                        + " does not chain to a trusted root: no trusted root or supplied intermediate issued "
                        + leaf.getIssuerX500Principal().getName());
            }
            return new ChainException(reason, "certificate " + name(leaf) + " does not chain to a trusted root: " + detail);
        }
    }
}
