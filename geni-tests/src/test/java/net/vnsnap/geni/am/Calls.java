package net.vnsnap.geni.am;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import org.apache.xmlrpc.XmlRpcException;

/** Reading GENI answers, waiting for slivers and talking to a VM's serial console, as the end-to-end suites need. */
final class Calls {

    private Calls() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> answer(Object r) {
        return (Map<String, Object>) r;
    }

    @SuppressWarnings("unchecked")
    static int code(Object r) {
        return (Integer) ((Map<String, Object>) answer(r).get("code")).get("geni_code");
    }

    /** The value of a successful answer; fails with the whole answer otherwise. */
    static Object ok(Object r) {
        assertEquals(0, code(r), () -> "expected success, got " + r);
        return answer(r).get("value");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> struct(Object v) {
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> slivers(Object v) {
        Object s = v instanceof Map<?, ?> m ? m.get("geni_slivers") : v;
        return Stream.of((Object[]) s).map(o -> (Map<String, Object>) o).toList();
    }

    /** Calls Status until every sliver is {@code state}; fails after {@code seconds}. */
    static List<Map<String, Object>> awaitState(SecureXmlRpcClient c, Object[] urns, Object[] creds, String state, int seconds)
            throws XmlRpcException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Object last = null;
        while (System.nanoTime() < end) {
            last = c.call("Status", urns, creds, Map.of());
            if (code(last) == 0) {
                List<Map<String, Object>> s = slivers(struct(ok(last)));
                if (!s.isEmpty() && s.stream().allMatch(x -> state.equals(x.get("geni_operational_status")))) {
                    return s;
                }
            }
            Thread.sleep(1000);
        }
        return fail("slivers did not reach " + state + " in " + seconds + " s; last Status: " + last);
    }

    /** The instance directory (console.log, ser.sock) of the VM whose console announced {@code ip}. */
    static Path vmDirectory(Path runDir, String ip, int seconds) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String mark = "USERSPACE-UP";
        while (System.nanoTime() < end) {
            if (Files.isDirectory(runDir)) {
                try (Stream<Path> s = Files.walk(runDir, 3)) {
                    for (Path log : s.filter(p -> p.getFileName().toString().equals("console.log")).toList()) {
                        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                        // The console shell must be up: input typed before the guest opens ttyS0 is discarded.
                        if (text.contains(mark) && text.contains(" ip=" + ip) && text.indexOf("/ # ", text.indexOf(mark)) > 0) {
                            return log.getParent();
                        }
                    }
                }
            }
            Thread.sleep(1000);
        }
        return fail("no VM under " + runDir + " announced ip=" + ip + " within " + seconds + " s");
    }

    /**
     * Types a command on the VM's serial console and waits until its console log shows {@code expect}; types it again
     * (up to three times) when nothing came, since a guest that was still starting may have dropped the input.
     */
    static String console(Path vmDir, String command, String expect, int seconds) throws IOException, InterruptedException {
        Path log = vmDir.resolve("console.log");
        int before = Files.readString(log, StandardCharsets.ISO_8859_1).length();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(vmDir.resolve("ser.sock")))) {
                ch.write(java.nio.ByteBuffer.wrap(("\n" + command + "\n").getBytes(StandardCharsets.US_ASCII)));
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds / 3);
                while (System.nanoTime() < end) {
                    String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                    String fresh = text.substring(Math.min(before, text.length()));
                    if (fresh.contains(expect)) {
                        return fresh;
                    }
                    Thread.sleep(500);
                }
            }
        }
        return fail("console of " + vmDir + " did not show '" + expect + "' after '" + command + "': "
                + Files.readString(log, StandardCharsets.ISO_8859_1).substring(before));
    }

    /** POSTs a raw body to an XML-RPC URL and returns the HTTP status and the body it answered (or the I/O failure). */
    static String rawPost(URI url, SSLContext tls, byte[] body) {
        try {
            HttpsURLConnection c = (HttpsURLConnection) url.toURL().openConnection();
            c.setSSLSocketFactory(tls.getSocketFactory());
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setConnectTimeout(30_000);
            c.setReadTimeout(120_000);
            c.setRequestProperty("Content-Type", "text/xml");
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream o = c.getOutputStream()) {
                o.write(body);
            }
            int status = c.getResponseCode();
            byte[] got = (status < 400 ? c.getInputStream() : c.getErrorStream()) == null ? new byte[0]
                    : (status < 400 ? c.getInputStream() : c.getErrorStream()).readAllBytes();
            return status + " " + new String(got, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "io " + e;
        }
    }
}
