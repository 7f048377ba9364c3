package net.vnsnap.certs.trust;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.vnsnap.certs.x509.CertificateReadException;
import net.vnsnap.certs.x509.GeniCertificate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The set of trusted root certificates, either fixed or read from an operator-managed directory of
 * {@code *.pem}/{@code *.crt} files that is re-scanned, at most once per interval, when its listing changes.
 */
public final class TrustRoots {

    private static final Logger LOG = LogManager.getLogger(TrustRoots.class);

    /** How often a directory is checked for changes unless the caller says otherwise. */
    public static final Duration DEFAULT_RESCAN_INTERVAL = Duration.ofSeconds(5);

    /** Gives every root set, across all instances, a distinct version so cache keys never collide. */
    private static final AtomicLong VERSIONS = new AtomicLong();

    /** One immutable state of the roots; {@code version} changes whenever the certificates may have. */
    public record Snapshot(long version, List<X509Certificate> roots) {
        public Snapshot {
            roots = List.copyOf(roots);
        }
    }

    /** The directory, or null for a fixed set. */
    private final Path dir;
    /** Decides when the directory is next looked at; injected so tests control it. */
    private final Clock clock;
    private final long intervalMillis;
    /** The current roots; replaced whole so readers never lock. */
    private volatile Snapshot snapshot;
    /** Clock millis of the last listing check; the hot path compares against it only. */
    private volatile long lastCheckMillis;
    /** Names, sizes, mtimes and file keys of the last listing that was loaded; guarded by this. */
    private String listing;

    private TrustRoots(Path dir, Clock clock, Duration interval, Snapshot initial) {
        this.dir = dir;
        this.clock = clock;
        this.intervalMillis = interval.toMillis();
        this.snapshot = initial;
        this.lastCheckMillis = clock == null ? 0 : clock.millis();
    }

    /** A fixed set of roots (tests, or a caller that manages reloads itself). */
    public static TrustRoots of(Collection<X509Certificate> roots) {
        return new TrustRoots(null, null, Duration.ZERO, new Snapshot(VERSIONS.incrementAndGet(), new ArrayList<>(roots)));
    }

    /** Roots read from {@code dir}, re-scanned at most every {@link #DEFAULT_RESCAN_INTERVAL}. */
    public static TrustRoots fromDirectory(Path dir, Clock clock) throws IOException {
        return fromDirectory(dir, clock, DEFAULT_RESCAN_INTERVAL);
    }

    /** Roots read from {@code dir}, whose listing is checked at most once per {@code interval} of {@code clock} time. */
    public static TrustRoots fromDirectory(Path dir, Clock clock, Duration interval) throws IOException {
        Objects.requireNonNull(clock, "clock");
        if (!Files.isDirectory(dir)) {
            throw new IOException("trust-root directory " + dir + " does not exist or is not a directory");
        }
        TrustRoots t = new TrustRoots(dir, clock, interval, new Snapshot(VERSIONS.incrementAndGet(), List.of()));
        synchronized (t) {
            t.rescan();
        }
        return t;
    }

    /** The current roots; for a directory, first re-reads it when the interval has passed and its listing changed. */
    public Snapshot current() {
        if (dir != null) {
            long now = clock.millis();
            long last = lastCheckMillis;
            if (now - last >= intervalMillis || now < last) {
                synchronized (this) {
                    if (lastCheckMillis == last) {
                        rescan();
                        lastCheckMillis = now;
                    }
                }
            }
        }
        return snapshot;
    }

    /** The directory behind these roots, or null for a fixed set. */
    public Path directory() {
        return dir;
    }

    private void rescan() {
        String now;
        List<Path> files = new ArrayList<>();
        try {
            now = listing(files);
        } catch (IOException e) {
            LOG.warn("cannot list trust-root directory {}: {}; trusting no roots until it is readable", dir, e.getMessage());
            now = "unreadable";
            files.clear();
        }
        if (now.equals(listing)) {
            return;
        }
        List<X509Certificate> roots = new ArrayList<>();
        for (Path f : files) {
            try {
                for (X509Certificate c : GeniCertificate.readChain(f)) {
                    roots.add(c);
                    if (c.getBasicConstraints() < 0) {
                        LOG.warn("trust root {} in {} is not a CA (basicConstraints CA:FALSE); it can only be trusted as itself",
                                c.getSubjectX500Principal(), f);
                    }
                }
            } catch (CertificateReadException e) {
                LOG.warn("skipping trust-root file: {}", e.getMessage());
            }
        }
        listing = now;
        snapshot = new Snapshot(VERSIONS.incrementAndGet(), roots);
        LOG.info("trust roots loaded from {}: {} certificate(s) from {} file(s)", dir, roots.size(), files.size());
    }

    private String listing(List<Path> files) throws IOException {
        StringBuilder b = new StringBuilder();
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if ((name.endsWith(".pem") || name.endsWith(".crt")) && Files.isRegularFile(p)) {
                    found.add(p);
                }
            }
        }
        found.sort(null);
        for (Path p : found) {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            b.append(p.getFileName()).append('|').append(a.size()).append('|')
                    .append(a.lastModifiedTime().to(TimeUnit.NANOSECONDS)).append('|').append(a.fileKey()).append('\n');
        }
        files.addAll(found);
        return b.toString();
    }
}
