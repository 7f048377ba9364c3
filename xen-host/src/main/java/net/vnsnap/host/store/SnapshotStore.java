package net.vnsnap.host.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Snapshots on local disk, one directory each: memory image, device description, manifest. A snapshot
 * is listed only once its manifest is durably in place; opening the store cleans up the rest.
 */
public final class SnapshotStore {
    static final Logger LOG = LogManager.getLogger(SnapshotStore.class);
    static final String MEMORY_FILE = "memory.img";
    static final String CONFIG_FILE = "config.json";
    static final String MANIFEST_FILE = "manifest";
    /** Staging directories end in this and are never listed. */
    private static final String STAGING_SUFFIX = ".partial";
    private static final String QUARANTINE = ".quarantine";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS").withZone(ZoneOffset.UTC);

    /** A frozen disk image to record in a snapshot. */
    public record FrozenDisk(String id, Path image, String format) {
    }

    private final Path root;
    private final Clock clock;
    private final RecoveryReport recovery;
    /** Distinguishes snapshots of one VM taken within the same millisecond. */
    private final AtomicInteger sequence = new AtomicInteger();

    private SnapshotStore(Path root, Clock clock, RecoveryReport recovery) {
        this.root = root;
        this.clock = clock;
        this.recovery = recovery;
    }

    /** Opens (creating) the store, deleting incomplete snapshots and quarantining corrupt ones. */
    public static SnapshotStore open(Path root, Clock clock) throws StoreException {
        try {
            Files.createDirectories(root);
            List<String> removed = new ArrayList<>();
            List<String> quarantined = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
                for (Path d : ds) {
                    String name = d.getFileName().toString();
                    if (name.equals(QUARANTINE) || !Files.isDirectory(d)) {
                        continue;
                    }
                    if (name.endsWith(STAGING_SUFFIX) || !Files.exists(d.resolve(MANIFEST_FILE))) {
                        deleteTree(d);
                        removed.add(name);
                        continue;
                    }
                    try {
                        readManifest(d);
                    } catch (CorruptSnapshotException e) {
                        Path q = root.resolve(QUARANTINE);
                        Files.createDirectories(q);
                        Files.move(d, q.resolve(name + "." + System.nanoTime()));
                        quarantined.add(name + ": " + e.getMessage());
                    }
                }
            }
            if (!removed.isEmpty() || !quarantined.isEmpty()) {
                LOG.warn("snapshot store {}: removed incomplete {}, quarantined {}", root, removed, quarantined);
            }
            return new SnapshotStore(root, clock, new RecoveryReport(removed, quarantined));
        } catch (IOException e) {
            throw new StoreException("cannot open snapshot store " + root + ": " + e.getMessage(), e);
        }
    }

    public static SnapshotStore open(Path root) throws StoreException {
        return open(root, Clock.systemUTC());
    }

    public Path root() {
        return root;
    }

    public RecoveryReport recovery() {
        return recovery;
    }

    /** Starts a snapshot of a VM in a fresh staging directory. */
    public PendingSnapshot begin(String vm) throws StoreException {
        if (!ID.matcher(vm).matches()) {
            throw new IllegalArgumentException("bad VM name for a snapshot id: " + vm);
        }
        String id = vm + "-" + STAMP.format(clock.instant()) + "-" + sequence.incrementAndGet();
        Path staging = root.resolve(id + STAGING_SUFFIX);
        try {
            Files.createDirectory(staging);
        } catch (IOException e) {
            throw new StoreException("cannot create snapshot directory " + staging + ": " + e.getMessage(), e);
        }
        return new PendingSnapshot(this, id, vm, staging);
    }

    SnapshotManifest commit(PendingSnapshot p, Path staging, String deviceConfig, List<FrozenDisk> disks,
                            Map<String, String> attributes) throws StoreException {
        try {
            writeDurably(staging.resolve(CONFIG_FILE), deviceConfig.getBytes(StandardCharsets.UTF_8));
            fsync(staging.resolve(MEMORY_FILE));
            List<FileEntry> files = new ArrayList<>();
            for (String f : List.of(MEMORY_FILE, CONFIG_FILE)) {
                Path path = staging.resolve(f);
                if (!Files.isRegularFile(path)) {
                    throw new StoreException("snapshot " + p.id() + " has no " + f);
                }
                files.add(new FileEntry(f, Files.size(path), Checksums.sha256(path)));
            }
            List<DiskReference> refs = new ArrayList<>();
            for (FrozenDisk d : disks) {
                Path img = d.image().toAbsolutePath();
                refs.add(new DiskReference(d.id(), img.toString(), d.format(), Files.size(img), Checksums.sha256(img)));
            }
            SnapshotManifest m = new SnapshotManifest(p.id(), p.vm(), clock.instant(), files, refs, attributes);
            writeDurably(staging.resolve(MANIFEST_FILE), ManifestCodec.encode(m));
            fsyncDirectory(staging);
            Path target = root.resolve(p.id());
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(root);
            return m;
        } catch (AtomicMoveNotSupportedException e) {
            throw new StoreException("the store's file system cannot rename atomically: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StoreException("cannot commit snapshot " + p.id() + ": " + e.getMessage(), e);
        }
    }

    /** Complete snapshots, oldest first. */
    public List<SnapshotManifest> list() throws StoreException {
        List<SnapshotManifest> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || name.endsWith(STAGING_SUFFIX) || !Files.isDirectory(d)) {
                    continue;
                }
                try {
                    out.add(readManifest(d));
                } catch (CorruptSnapshotException e) {
                    LOG.warn("skipping {}: {}", d, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot list snapshot store " + root + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(SnapshotManifest::createdAt).thenComparing(SnapshotManifest::id));
        return out;
    }

    public Optional<SnapshotManifest> find(String id) throws StoreException {
        Path d = dir(id);
        if (!Files.exists(d.resolve(MANIFEST_FILE))) {
            return Optional.empty();
        }
        return Optional.of(readManifest(d));
    }

    /**
     * Checks every file and frozen disk against the manifest and returns the snapshot for restore.
     *
     * @throws CorruptSnapshotException naming the first file whose size or checksum differs
     */
    public StoredSnapshot verify(String id) throws StoreException {
        Path d = dir(id);
        if (!Files.exists(d.resolve(MANIFEST_FILE))) {
            throw new NoSuchSnapshotException(id);
        }
        SnapshotManifest m = readManifest(d);
        try {
            for (FileEntry f : m.files()) {
                check(id, "file " + f.name(), d.resolve(f.name()), f.size(), f.sha256());
            }
            for (DiskReference r : m.disks()) {
                check(id, "frozen disk " + r.id(), Path.of(r.path()), r.size(), r.sha256());
            }
            String config = Files.readString(d.resolve(CONFIG_FILE), StandardCharsets.UTF_8);
            return new StoredSnapshot(m, d.resolve(MEMORY_FILE), config);
        } catch (IOException e) {
            throw new StoreException("cannot read snapshot " + id + ": " + e.getMessage(), e);
        }
    }

    private static void check(String id, String what, Path p, long size, String sha) throws IOException, CorruptSnapshotException {
        if (!Files.isRegularFile(p)) {
            throw new CorruptSnapshotException("snapshot " + id + ": " + what + " (" + p + ") is missing");
        }
        long actual = Files.size(p);
        if (actual != size) {
            throw new CorruptSnapshotException("snapshot " + id + ": " + what + " has " + actual + " bytes, manifest says " + size);
        }
        if (!Checksums.sha256(p).equals(sha)) {
            throw new CorruptSnapshotException("snapshot " + id + ": " + what + " fails its SHA-256 check (corrupted); refusing to restore it");
        }
    }

    public void delete(String id) throws StoreException {
        try {
            deleteTree(dir(id));
        } catch (IOException e) {
            throw new StoreException("cannot delete snapshot " + id + ": " + e.getMessage(), e);
        }
    }

    private Path dir(String id) {
        if (!ID.matcher(id).matches() || id.endsWith(STAGING_SUFFIX)) {
            throw new IllegalArgumentException("bad snapshot id: " + id);
        }
        return root.resolve(id);
    }

    private static SnapshotManifest readManifest(Path d) throws CorruptSnapshotException {
        try {
            SnapshotManifest m = ManifestCodec.decode(Files.readAllBytes(d.resolve(MANIFEST_FILE)), d.toString());
            if (!m.id().equals(d.getFileName().toString())) {
                throw new CorruptSnapshotException(d + ": manifest names snapshot " + m.id());
            }
            return m;
        } catch (IOException e) {
            throw new CorruptSnapshotException(d + ": cannot read manifest: " + e.getMessage(), e);
        }
    }

    /** Writes a file through a temporary name, fsyncs it and renames it into place. */
    private static void writeDurably(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void fsync(Path file) throws IOException {
        if (Files.exists(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                try {
                    Files.delete(d);
                } catch (NoSuchFileException ignored) {
                    // already gone
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
