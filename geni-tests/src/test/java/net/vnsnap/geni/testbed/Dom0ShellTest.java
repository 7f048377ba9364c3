package net.vnsnap.geni.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dom0 command channel's protocol against a real {@code /bin/sh} per connection, served the way socat's
 * {@code EXEC:/bin/sh,stderr} serves it in dom0 (here by the test), so it runs without Xen.
 */
class Dom0ShellTest {

    private ServerSocket server;
    private Thread acceptor;

    /** Serves one {@code sh} per connection; {@code closeAtOnce} closes each connection unanswered (QEMU's forward with nothing behind it). */
    private InetSocketAddress serve(boolean closeAtOnce) throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket c = server.accept();
                    if (closeAtOnce) {
                        c.close();
                        continue;
                    }
                    Process sh = new ProcessBuilder("/bin/sh").redirectErrorStream(true).start();
                    pump(c.getInputStream(), sh.getOutputStream());
                    pump(sh.getInputStream(), c.getOutputStream(), c);
                } catch (IOException e) {
                    return;
                }
            }
        }, "dom0-shell-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    private static void pump(InputStream in, OutputStream out, AutoCloseable... closeAfter) {
        Thread t = new Thread(() -> {
            // Flush every chunk: a Process's stdin is buffered, and socat forwards as data arrives.
            try (in; out) {
                byte[] b = new byte[4096];
                for (int n = in.read(b); n >= 0; n = in.read(b)) {
                    out.write(b, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side went away
            }
            for (AutoCloseable c : closeAfter) {
                try {
                    c.close();
                } catch (Exception e) {
                    // already closed
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void returnsOutputAndExitStatus() throws IOException {
        Dom0Shell shell = new Dom0Shell(serve(false));
        Dom0Shell.Result ok = shell.run("echo one; echo two >&2", Duration.ofSeconds(30));
        assertEquals(0, ok.exitCode());
        assertEquals("one\ntwo\n", ok.output());
        Dom0Shell.Result bad = shell.run("echo failing; exit_code() { return 7; }; exit_code", Duration.ofSeconds(30));
        assertEquals(7, bad.exitCode());
        assertEquals("failing\n", bad.output());
    }

    @Test
    void outputWithoutFinalNewlineKeepsTheStatus(@TempDir Path dir) throws IOException {
        Path log = Files.writeString(dir.resolve("console.log"), "USERSPACE-UP name=g1\n# ");
        Dom0Shell.Result r = new Dom0Shell(serve(false)).run("cat " + log, Duration.ofSeconds(30));
        assertEquals(0, r.exitCode());
        assertEquals("USERSPACE-UP name=g1\n# ", r.output());
    }

    @Test
    void hereDocumentsAndSlowCommandsWork(@TempDir Path dir) throws IOException {
        Path cfg = dir.resolve("d.cfg");
        String cmd = "cat > " + cfg + " <<'CFG'\nname=\"d\"\nextra=\"console=hvc0 $NOT_EXPANDED\"\nCFG\nsleep 2; cat " + cfg;
        Dom0Shell.Result r = new Dom0Shell(serve(false)).run(cmd, Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("name=\"d\"\nextra=\"console=hvc0 $NOT_EXPANDED\"\n", r.output());
    }

    @Test
    void aCommandThatOutlivesItsTimeoutFails() throws IOException {
        Dom0Shell shell = new Dom0Shell(serve(false));
        IOException e = assertThrows(IOException.class, () -> shell.run("echo started; sleep 20", Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("did not finish") && e.getMessage().contains("started"), e.getMessage());
    }

    @Test
    void aConnectionClosedUnansweredIsReportedAsNotUp() throws IOException {
        Dom0Shell shell = new Dom0Shell(serve(true));
        IOException e = assertThrows(IOException.class, () -> shell.run("true", Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("gave no exit status"), e.getMessage());
    }
}
