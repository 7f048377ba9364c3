package net.vnsnap.host.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.DriverException;

/** Reads the diskrec records back from a (frozen) disk image on the host. */
final class FrozenDisk {
    private static final Pattern REC = Pattern.compile("^blk (\\d{8})\n");

    private FrozenDisk() {
    }

    /** The highest record number written to the image, or 0 when it holds none. */
    static long highestRecord(QemuDriver driver, Path image, Path scratch) throws DriverException, IOException {
        Path raw = scratch.resolve("frozen-" + System.nanoTime() + ".raw");
        driver.run(List.of("qemu-img", "convert", "-U", "-O", "raw", image.toString(), raw.toString()), "read a frozen disk");
        byte[] data = Files.readAllBytes(raw);
        Files.delete(raw);
        long max = 0;
        for (int off = 0; off + 512 <= data.length; off += 512) {
            Matcher m = REC.matcher(new String(data, off, 13, StandardCharsets.US_ASCII));
            if (m.find()) {
                max = Math.max(max, Long.parseLong(m.group(1)));
            }
        }
        return max;
    }
}
