package net.vnsnap.host.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.host.testing.TestGuest;
import org.junit.jupiter.api.Test;

/**
 * memdirty's self-check must catch a torn image, or "no VIOLATION" after a restore would prove nothing:
 * the host copy of the tool is run and its pages are overwritten through /proc/PID/mem.
 */
class MemdirtyDetectorTest {
    private static final Pattern START = Pattern.compile("memdirty start pages=(\\d+) .* addr=0x([0-9a-f]+)");

    @Test
    void reportsViolationWhenPagesAreOverwritten() throws Exception {
        TestGuest.assumeQemu();
        assumeTrue(Files.isReadable(Path.of("/proc/self/mem")), "needs /proc");
        Path tool = TestGuest.dir().resolve("tools/memdirty");
        // 1 MiB swept at 100 pages/s: a full sweep takes 2.5 s, so overwritten pages stay wrong until checked.
        Process p = new ProcessBuilder(tool.toString(), "1", "100", "100", "cnt").redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            Matcher m = START.matcher(out.readLine());
            assertTrue(m.find(), "no start line");
            int pages = Integer.parseInt(m.group(1));
            long addr = Long.parseUnsignedLong(m.group(2), 16);
            String line = out.readLine();
            assertTrue(line.startsWith("cnt 1 ") && line.contains("violations=0"), line);
            try (RandomAccessFile mem = new RandomAccessFile("/proc/" + p.pid() + "/mem", "rw")) {
                for (int i = 0; i < pages; i++) {
                    mem.seek(addr + i * 4096L);
                    mem.writeLong(0x0badc0de0badc0deL);
                }
            }
            boolean seen = false;
            for (int i = 0; i < 20 && !seen; i++) {
                line = out.readLine();
                seen = line != null && line.startsWith("VIOLATION");
            }
            assertTrue(seen, "memdirty did not report the overwritten pages; last line: " + line);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
