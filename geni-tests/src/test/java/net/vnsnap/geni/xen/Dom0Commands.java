package net.vnsnap.geni.xen;

import java.io.IOException;
import java.time.Duration;
import net.vnsnap.geni.testbed.Dom0Shell;
import net.vnsnap.geni.testbed.NestedXenHost;

/** Idempotent dom0 commands for the Xen suites, run again when the command channel drops a connection. */
final class Dom0Commands {

    private Dom0Commands() {
    }

    /**
     * Runs an idempotent dom0 command, again (up to 5 times) when the command channel drops the connection without an
     * exit status, which it does now and then on a loaded machine.
     */
    static Dom0Shell.Result run(NestedXenHost host, String command, Duration timeout) throws IOException, InterruptedException {
        IOException last = null;
        for (int i = 0; i < 5; i++) {
            try {
                return host.dom0(command, timeout);
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("gave no exit status")) {
                    throw e;
                }
                last = e;
                Thread.sleep(2000);
            }
        }
        throw last;
    }

    /** {@link #run} that fails unless the command exits 0; returns its output. */
    static String ok(NestedXenHost host, String command, Duration timeout) throws IOException, InterruptedException {
        Dom0Shell.Result r = run(host, command, timeout);
        if (!r.ok()) {
            throw new IOException("dom0 command failed (exit " + r.exitCode() + "): " + command + "\n" + r.output());
        }
        return r.output();
    }

    /**
     * Types {@code line} into a domU's console, as {@code xl console} would: written to the console's pty in dom0
     * (xenstore names it), which xenconsoled forwards to the guest's hvc0, where the test guest keeps a shell.
     */
    static void typeInto(NestedXenHost host, String domain, String line) throws IOException, InterruptedException {
        if (line.contains("VNSNAP_LINE")) {
            throw new IllegalArgumentException("the line must not contain the here-document's end marker");
        }
        ok(host, "t=$(xenstore-read /local/domain/$(xl domid " + domain + ")/console/tty) && [ -c \"$t\" ] && cat > \"$t\" <<'VNSNAP_LINE'\n"
                + line + "\nVNSNAP_LINE", Duration.ofSeconds(60));
    }
}
