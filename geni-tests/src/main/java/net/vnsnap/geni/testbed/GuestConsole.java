package net.vnsnap.geni.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A guest's console log, read as whole lines from a byte offset, for checks on its workload output. */
public final class GuestConsole {

    /** Where a console's bytes are: a file on this machine, or one somewhere else (a Xen dom0's xenconsoled log). */
    public interface Source {
        /** Everything logged so far; empty when nothing is yet. */
        byte[] bytes() throws IOException;

        /** The log's length now. */
        long size() throws IOException;

        /** Where the log is, for failure messages. */
        String describe();
    }

    /** The console's file on this machine; null for a console read from elsewhere. */
    private final Path file;
    private final Source source;

    /** A console logged to a file on this machine (QEMU's serial file). */
    public GuestConsole(Path file) {
        this.file = file;
        this.source = new Source() {
            @Override
            public byte[] bytes() throws IOException {
                return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            }

            @Override
            public long size() throws IOException {
                return Files.exists(file) ? Files.size(file) : 0;
            }

            @Override
            public String describe() {
                return file.toString();
            }
        };
    }

    /** A console read through {@code source}. */
    public GuestConsole(Source source) {
        this.file = null;
        this.source = source;
    }

    /** The log file on this machine. */
    public Path file() {
        if (file == null) {
            throw new IllegalStateException("the console " + source.describe() + " is not a file on this machine");
        }
        return file;
    }

    /** The current length in bytes: an offset that later reads start from (0 when the log cannot be read now). */
    public long size() {
        try {
            return source.size();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Complete lines from {@code offset} on (a partly written last line is left out), without carriage returns. */
    public List<String> lines(long offset) throws IOException {
        byte[] all = source.bytes();
        int start = (int) Math.min(offset, all.length);
        int end = all.length;
        while (end > start && all[end - 1] != '\n') {
            end--;
        }
        String text = new String(all, start, end - start, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            String s = l.replace("\r", "");
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The complete lines between two offsets taken earlier with {@link #size()}. */
    public List<String> lines(long from, long to) throws IOException {
        byte[] all = source.bytes();
        int end = (int) Math.min(to, all.length);
        int start = (int) Math.min(from, end);
        List<String> out = new ArrayList<>();
        for (String l : new String(all, start, end - start, StandardCharsets.ISO_8859_1).split("\n")) {
            String s = l.replace("\r", "");
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** Every match of {@code p} in the lines from {@code offset}. */
    public List<Matcher> matches(Pattern p, long offset) throws IOException {
        List<Matcher> out = new ArrayList<>();
        for (String l : lines(offset)) {
            Matcher m = p.matcher(l);
            if (m.find()) {
                out.add(m);
            }
        }
        return out;
    }

    /** The last match of {@code p} from {@code offset}, if any. */
    public Optional<Matcher> last(Pattern p, long offset) throws IOException {
        List<Matcher> all = matches(p, offset);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Waits until a line from {@code offset} on matches {@code p} and its first group, read as a number, is at least
     * {@code atLeast} (or, for a pattern without groups, until any line matches); fails with the log's tail otherwise.
     */
    public Matcher await(Pattern p, long offset, long atLeast, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Matcher m : matches(p, offset)) {
                if (m.groupCount() == 0 || Long.parseLong(m.group(1)) >= atLeast) {
                    return m;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line matching '" + p + "'" + (atLeast > 0 ? " with value >= " + atLeast : "")
                        + " within " + timeout + " in " + source.describe() + "; its tail:\n" + tail(offset, 15));
            }
            Thread.sleep(100);
        }
    }

    /** Everything from {@code offset}, a partly written last line included (a shell prompt has no newline). */
    public String text(long offset) throws IOException {
        byte[] all = source.bytes();
        int start = (int) Math.min(offset, all.length);
        return new String(all, start, all.length - start, StandardCharsets.ISO_8859_1);
    }

    /**
     * Waits until the guest's console shell is up: its prompt {@code "/ # "} after the guest's {@code USERSPACE-UP}
     * line. Input typed before the guest opens its console is lost.
     */
    public void awaitShell(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String t = text(0);
            int up = t.indexOf("USERSPACE-UP");
            if (up >= 0 && t.indexOf("/ # ", up) > 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no console shell in " + source.describe() + " within " + timeout + "; its tail:\n" + tail(0, 15));
            }
            Thread.sleep(500);
        }
    }

    /** The last {@code n} lines from {@code offset}, for failure messages. */
    public String tail(long offset, int n) throws IOException {
        List<String> l = lines(offset);
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
}
