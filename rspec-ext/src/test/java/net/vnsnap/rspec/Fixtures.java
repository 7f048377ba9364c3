package net.vnsnap.rspec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Access to the test fixtures and to the shared GENI schemas. */
public final class Fixtures {
    private Fixtures() {
    }

    public static String text(String resource) {
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared folder (system property vnsnap.shared, set by the build). */
    public static Path shared() {
        return Path.of(System.getProperty("vnsnap.shared", "/work/shared"));
    }
}
