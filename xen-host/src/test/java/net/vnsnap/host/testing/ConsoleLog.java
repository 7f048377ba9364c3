package net.vnsnap.host.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a VM's serial console log: waits for lines and extracts numbers from them. */
public final class ConsoleLog {
    private final Path file;

    public ConsoleLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Every complete line so far. */
    public List<String> lines() {
        try {
            if (!Files.exists(file)) {
                return List.of();
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String l : text.substring(0, end).split("\n")) {
                out.add(l.replace("\r", ""));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int lineCount() {
        return lines().size();
    }

    /** Waits until a line (from index {@code from}) matches; returns the matcher; fails with the log's tail on timeout. */
    public Matcher await(Pattern p, int from, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> ls = lines();
            for (int i = from; i < ls.size(); i++) {
                Matcher m = p.matcher(ls.get(i));
                if (m.find()) {
                    return m;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line matching /" + p + "/ in " + file + " within " + timeout.toSeconds()
                        + " s; last lines: " + tail(ls, 15));
            }
            Thread.sleep(50);
        }
    }

    /** All numbers captured by group 1 of {@code p} in lines [from, to). */
    public List<Long> numbers(Pattern p, int from, int to) {
        List<String> ls = lines();
        List<Long> out = new ArrayList<>();
        for (int i = from; i < Math.min(to, ls.size()); i++) {
            Matcher m = p.matcher(ls.get(i));
            if (m.find()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        return out;
    }

    public List<Long> numbers(Pattern p) {
        return numbers(p, 0, Integer.MAX_VALUE);
    }

    public boolean contains(String s) {
        return lines().stream().anyMatch(l -> l.contains(s));
    }

    public String tail(int n) {
        return tail(lines(), n);
    }

    private static String tail(List<String> ls, int n) {
        return String.join("\n  ", ls.subList(Math.max(0, ls.size() - n), ls.size()));
    }
}
