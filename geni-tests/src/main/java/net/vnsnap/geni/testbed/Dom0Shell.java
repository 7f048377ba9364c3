package net.vnsnap.geni.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test command channel into a nested Xen dom0: a forwarded TCP port where {@code socat} runs one {@code /bin/sh} per
 * connection (started only by the per-run script of test images). Each call sends one command, closes its sending
 * side, and reads the combined output and the exit status, which the shell prints as a marker line.
 */
public final class Dom0Shell {

    /** The marker line the shell prints after the command; what follows it is the command's exit status. */
    private static final String RC_MARKER = "__VNSNAP_RC=";
    private static final Pattern RC = Pattern.compile("(?m)^" + RC_MARKER + "(\\d+)\\s*$");

    /**
     * The outcome of one command.
     *
     * @param exitCode the shell's {@code $?} after the command
     * @param output   stdout and stderr, interleaved, without the marker line
     */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final InetSocketAddress address;

    public Dom0Shell(InetSocketAddress address) {
        this.address = address;
    }

    /**
     * Runs {@code command} (any sh text, several lines allowed; its stdin is /dev/null) and returns its output and
     * status; throws if the channel does not answer or the command outlives {@code timeout}.
     */
    public Result run(String command, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 10_000);
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            OutputStream out = s.getOutputStream();
            out.write(("exec 2>&1\n{\n" + command + "\n} </dev/null\necho \"" + RC_MARKER + "$?\"\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            s.shutdownOutput();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] b = new byte[8192];
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                for (int n = in.read(b); n >= 0; n = in.read(b)) {
                    buf.write(b, 0, n);
                    if (System.nanoTime() > deadline) {
                        throw new SocketTimeoutException("still running");
                    }
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("dom0 command did not finish within " + timeout + ": " + firstLine(command) + "; output so far: "
                        + buf.toString(StandardCharsets.UTF_8));
            }
            String text = buf.toString(StandardCharsets.UTF_8);
            Matcher m = RC.matcher(text);
            if (!m.find()) {
                // QEMU's user-mode forward accepts the connection even when nothing listens in the guest, then closes it.
                throw new IOException("the dom0 command channel at " + address + " gave no exit status (not up yet?); output: " + text);
            }
            return new Result(Integer.parseInt(m.group(1)), text.substring(0, m.start()));
        }
    }

    private static String firstLine(String command) {
        int nl = command.indexOf('\n');
        return nl < 0 ? command : command.substring(0, nl) + " ...";
    }
}
