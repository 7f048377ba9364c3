package net.vnsnap.am.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AM daemon's configuration file: defaults, relative paths, host order and the errors that name key and file. */
class AmConfigTest {

    @TempDir
    Path dir;

    Path write(String... lines) throws Exception {
        return Files.writeString(dir.resolve("am.properties"), String.join("\n", lines) + "\n");
    }

    static final String[] MINIMAL = {"identity.cert=id/cert.pem", "identity.key=id/key.pem", "trust.roots=roots",
        "host.b2.url=https://h2.example.org:12346/", "host.a1.url=https://h1.example.org:12346"};

    @Test
    void defaultsAndRelativePaths() throws Exception {
        AmConfig c = AmConfig.load(write(MINIMAL));
        assertEquals("0.0.0.0", c.listenAddress());
        assertEquals(8001, c.listenPort());
        assertNull(c.amUrn());
        assertNull(c.publicUrl());
        assertEquals(dir.resolve("id/cert.pem"), c.identityCert());
        assertEquals(dir.resolve("roots"), c.trustRoots());
        assertEquals(c.trustRoots(), c.hostTrustRoots());
        assertEquals(Path.of("/var/lib/vnsnap-am"), c.stateDirectory());
        assertEquals(List.of("a1", "b2"), List.copyOf(c.hosts().keySet()));
        assertEquals(URI.create("https://h1.example.org:12346/"), c.hosts().get("a1"));
        assertEquals(Duration.ofMinutes(10), c.allocationLease());
        assertEquals(Duration.ofDays(7), c.maxLease());
        assertEquals(128, c.memoryMiB());
        assertEquals("guest", c.defaultImage());
        assertEquals(ColourPolicy.HOLD_AND_RECORD, c.colourPolicy());
        assertEquals(Duration.ofSeconds(5), c.hostInfoMaxAge());
        assertEquals(dir.resolve("x").resolveSibling("slices.db").getFileName(), c.sliceDatabase().getFileName());
    }

    @Test
    void anUnknownKeyIsAnErrorNamingKeyAndFile() throws Exception {
        Path f = write(String.join("\n", MINIMAL), "listen.prot=9");
        AmConfigException e = assertThrows(AmConfigException.class, () -> AmConfig.load(f));
        assertTrue(e.getMessage().contains("listen.prot") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void badValuesAreErrorsNamingTheKey() throws Exception {
        for (String bad : List.of("listen.port=70000", "colour.policy=rainbow", "public.url=http://x/", "am.urn=am",
                "lease.allocation.s=999999999", "host.c3.url=http://h3:1/", "vm.memory.mib=lots")) {
            Path f = write(String.join("\n", MINIMAL), bad);
            AmConfigException e = assertThrows(AmConfigException.class, () -> AmConfig.load(f), bad);
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('='))), e.getMessage());
        }
        AmConfigException missing = assertThrows(AmConfigException.class,
                () -> AmConfig.load(write("identity.cert=c", "trust.roots=r", "host.a.url=https://h:1/")));
        assertTrue(missing.getMessage().contains("identity.key"), missing.getMessage());
        AmConfigException noHost = assertThrows(AmConfigException.class,
                () -> AmConfig.load(write("identity.cert=c", "identity.key=k", "trust.roots=r")));
        assertTrue(noHost.getMessage().contains("host.<id>.url"), noHost.getMessage());
    }
}
