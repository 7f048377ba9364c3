package net.vnsnap.geni.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;

/**
 * A domU's console as xenconsoled logs it in the dom0 of a nested Xen host, fetched over the test command channel in
 * increments (only what is new since the last read) and kept here.
 */
public final class Dom0Console implements GuestConsole.Source {
    /** Reads closer together than this return what is kept: a dom0 shell round trip costs a fork under nested TCG. */
    private static final long MIN_FETCH_NANOS = Duration.ofMillis(700).toNanos();

    private final NestedXenHost host;
    private final String path;
    /** Where in the log this console starts: a restored domain appends to its name's log, so each run reads its own part. */
    private final long start;
    /** The log's bytes fetched so far; guarded by this. */
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    /** When the last fetch ended (System.nanoTime); guarded by this. */
    private long lastFetch = System.nanoTime() - MIN_FETCH_NANOS;

    /** The console of {@code domain} from byte {@code start} of its log on. */
    public Dom0Console(NestedXenHost host, String domain, long start) {
        this.host = host;
        this.path = NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + domain + ".log";
        this.start = start;
    }

    /** A {@link GuestConsole} on this domain's whole log. */
    public static GuestConsole of(NestedXenHost host, String domain) {
        return new GuestConsole(new Dom0Console(host, domain, 0));
    }

    /** A {@link GuestConsole} on what this domain's log holds from now on (for a domain about to be created or restored). */
    public static GuestConsole fromNow(NestedXenHost host, String domain) throws IOException {
        Dom0Shell.Result r = host.dom0("[ ! -f " + NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + domain + ".log ] && echo 0 || stat -c %s "
                + NestedXenHost.CONSOLE_LOG_DIR + "/guest-" + domain + ".log", Duration.ofSeconds(60));
        if (!r.ok()) {
            throw new IOException("cannot read the console log length of " + domain + ": " + r.output());
        }
        return new GuestConsole(new Dom0Console(host, domain, Long.parseLong(r.output().strip())));
    }

    @Override
    public synchronized byte[] bytes() throws IOException {
        fetch();
        return kept.toByteArray();
    }

    @Override
    public synchronized long size() throws IOException {
        fetch();
        return kept.size();
    }

    @Override
    public String describe() {
        return "dom0:" + path + (start > 0 ? " from byte " + start : "");
    }

    private void fetch() throws IOException {
        if (System.nanoTime() - lastFetch < MIN_FETCH_NANOS) {
            return;
        }
        // base64 keeps the bytes exact through the text channel; a missing log reads as empty.
        String command = "[ ! -f " + path + " ] || tail -c +" + (start + kept.size() + 1) + " " + path + " | base64 -w0";
        IOException last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try {
                kept.writeBytes(readOnce(command));
                lastFetch = System.nanoTime();
                return;
            } catch (IOException e) {
                // Reading is idempotent: the channel drops a connection now and then, and on nested TCG a dom0 process
                // (tail, base64) has been seen to crash; ask again from the same byte.
                last = e;
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading " + describe(), ie);
                }
            }
        }
        throw last;
    }

    private byte[] readOnce(String command) throws IOException {
        Dom0Shell.Result r = host.dom0(command, Duration.ofSeconds(60));
        if (!r.ok()) {
            throw new IOException("reading " + describe() + " failed (exit " + r.exitCode() + "): " + r.output());
        }
        String text = r.output().strip();
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("reading " + describe() + " gave " + text.length() + " characters that are not base64 (" + e.getMessage()
                    + "): " + text.substring(Math.max(0, text.length() - 80)));
        }
    }
}
