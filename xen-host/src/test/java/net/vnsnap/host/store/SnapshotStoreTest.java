package net.vnsnap.host.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private SnapshotManifest commitOne(SnapshotStore s, String vm) throws Exception {
        Path disk = tmp.resolve(vm + "-disk.qcow2");
        Files.writeString(disk, "frozen disk of " + vm);
        try (PendingSnapshot p = s.begin(vm)) {
            Files.write(p.memoryImage(), new byte[4096]);
            return p.commit("{\"name\":\"" + vm + "\"}", List.of(new SnapshotStore.FrozenDisk("disk0", disk, "qcow2")),
                    Map.of("mode", "cow"));
        }
    }

    @Test
    void committedSnapshotIsListedAndVerifies() throws Exception {
        SnapshotStore s = SnapshotStore.open(tmp.resolve("store"), CLOCK);
        SnapshotManifest m = commitOne(s, "vm1");
        assertEquals(List.of(m), s.list());
        assertEquals(4096 + "{\"name\":\"vm1\"}".length(), m.totalBytes());
        StoredSnapshot v = s.verify(m.id());
        assertEquals("{\"name\":\"vm1\"}", v.deviceConfig());
        assertEquals(Instant.parse("2026-11-26T12:00:00Z"), v.manifest().createdAt());
        assertEquals("cow", v.manifest().attributes().get("mode"));
        assertEquals(List.of(m), SnapshotStore.open(tmp.resolve("store"), CLOCK).list(), "survives reopening");
    }

    @Test
    void abortedSnapshotLeavesNothing() throws Exception {
        SnapshotStore s = SnapshotStore.open(tmp.resolve("store"), CLOCK);
        try (PendingSnapshot p = s.begin("vm1")) {
            Files.write(p.memoryImage(), new byte[100]);
        }
        assertTrue(s.list().isEmpty());
        try (var files = Files.list(s.root())) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void corruptImageOrDiskIsDetected() throws Exception {
        SnapshotStore s = SnapshotStore.open(tmp.resolve("store"), CLOCK);
        SnapshotManifest m = commitOne(s, "vm1");
        byte[] img = new byte[4096];
        img[2000] = 1;
        Files.write(s.root().resolve(m.id()).resolve("memory.img"), img);
        CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, () -> s.verify(m.id()));
        assertTrue(e.getMessage().contains("memory.img") && e.getMessage().contains("SHA-256"), e.getMessage());

        SnapshotManifest m2 = commitOne(s, "vm2");
        Files.writeString(tmp.resolve("vm2-disk.qcow2"), "frozen disk of vm2, then changed");
        e = assertThrows(CorruptSnapshotException.class, () -> s.verify(m2.id()));
        assertTrue(e.getMessage().contains("frozen disk disk0"), e.getMessage());
    }

    @Test
    void openingCleansIncompleteAndQuarantinesCorruptManifests() throws Exception {
        Path root = tmp.resolve("store");
        SnapshotStore s = SnapshotStore.open(root, CLOCK);
        SnapshotManifest good = commitOne(s, "vm1");
        SnapshotManifest torn = commitOne(s, "vm2");
        Path tornManifest = root.resolve(torn.id()).resolve("manifest");
        byte[] b = Files.readAllBytes(tornManifest);
        Files.write(tornManifest, java.util.Arrays.copyOf(b, b.length - 10));
        Files.createDirectories(root.resolve("vm3-x.partial"));
        Files.createDirectories(root.resolve("vm4-no-manifest"));

        SnapshotStore reopened = SnapshotStore.open(root, CLOCK);
        assertEquals(List.of(good), reopened.list());
        assertEquals(2, reopened.recovery().removedIncomplete().size(), reopened.recovery().toString());
        assertEquals(1, reopened.recovery().quarantined().size());
        assertTrue(reopened.recovery().quarantined().get(0).contains("checksum mismatch"), reopened.recovery().toString());
        assertFalse(Files.exists(root.resolve("vm3-x.partial")));
        assertThrows(NoSuchSnapshotException.class, () -> reopened.verify(torn.id()));
    }

    @Test
    void manifestHeaderIsChecked() throws Exception {
        SnapshotManifest m = new SnapshotManifest("a", "vm", Instant.EPOCH, List.of(), List.of(), Map.of());
        byte[] ok = ManifestCodec.encode(m);
        assertEquals(m, ManifestCodec.decode(ok, "x"));
        String text = new String(ok, StandardCharsets.UTF_8);
        assertThrows(CorruptSnapshotException.class,
                () -> ManifestCodec.decode(text.replace("vnsnap-manifest 1", "vnsnap-manifest 9").getBytes(StandardCharsets.UTF_8), "x"));
        assertThrows(CorruptSnapshotException.class,
                () -> ManifestCodec.decode(text.replace("\"vm\"", "\"vx\"").getBytes(StandardCharsets.UTF_8), "x"));
        assertThrows(CorruptSnapshotException.class, () -> ManifestCodec.decode("garbage".getBytes(StandardCharsets.UTF_8), "x"));
    }
}
