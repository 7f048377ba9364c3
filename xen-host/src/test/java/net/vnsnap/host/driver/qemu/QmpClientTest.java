package net.vnsnap.host.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP client against a scripted in-process QMP server on a UNIX socket. */
class QmpClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Serves one connection: greeting, then answers each command line with what {@code reply} returns (null = no answer). */
    private CompletableFuture<Void> serve(Path sock, Function<JsonNode, String> reply) throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        return CompletableFuture.runAsync(() -> {
            try (server; SocketChannel c = server.accept()) {
                OutputStream out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                out.write("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}}, \"capabilities\": []}}\n"
                        .getBytes(StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    String r = reply.apply(JSON.readTree(line));
                    if (r != null) {
                        out.write((r + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (Exception e) {
                // the client closed the connection
            }
        });
    }

    private static String ok(JsonNode cmd, String ret) {
        return "{\"return\": " + ret + ", \"id\": \"" + cmd.get("id").asText() + "\"}";
    }

    @Test
    void negotiatesRunsCommandsAndDeliversEvents() throws Exception {
        Path sock = tmp.resolve("q.sock");
        serve(sock, cmd -> switch (cmd.get("execute").asText()) {
            case "qmp_capabilities" -> ok(cmd, "{}");
            case "stop" -> "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250}, \"event\": \"STOP\"}\n" + ok(cmd, "{}");
            case "query-status" -> ok(cmd, "{\"status\": \"paused\", \"running\": false}");
            default -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command " + cmd.get("execute").asText()
                    + " has not been found\"}, \"id\": \"" + cmd.get("id").asText() + "\"}";
        });
        try (QmpClient c = QmpClient.connect(sock, "t", Duration.ofSeconds(5))) {
            assertEquals(10, c.greetingVersion().path("major").asInt());
            CompletableFuture<QmpEvent> stop = new CompletableFuture<>();
            c.addEventListener(stop::complete);
            c.execute("stop", null, Duration.ofSeconds(5));
            QmpEvent ev = stop.get(5, TimeUnit.SECONDS);
            assertEquals("STOP", ev.name());
            assertEquals(Instant.ofEpochSecond(1700000000, 250_000), ev.timestamp());
            assertEquals("paused", c.execute("query-status", null, Duration.ofSeconds(5)).path("status").asText());
            QmpException e = assertThrows(QmpException.class, () -> c.execute("bogus", null, Duration.ofSeconds(5)));
            assertEquals("CommandNotFound", e.errorClass());
            assertTrue(e.getMessage().contains("bogus failed"), e.getMessage());
        }
    }

    @Test
    void timesOutWhenQemuDoesNotAnswer() throws Exception {
        Path sock = tmp.resolve("q.sock");
        serve(sock, cmd -> "qmp_capabilities".equals(cmd.get("execute").asText()) ? ok(cmd, "{}") : null);
        try (QmpClient c = QmpClient.connect(sock, "t", Duration.ofSeconds(5))) {
            QmpException e = assertThrows(QmpException.class, () -> c.execute("query-status", null, Duration.ofMillis(200)));
            assertEquals("Timeout", e.errorClass());
        }
    }

    @Test
    void failsPendingAndLaterCommandsWhenTheConnectionDrops() throws Exception {
        Path sock = tmp.resolve("q.sock");
        serve(sock, cmd -> {
            if ("qmp_capabilities".equals(cmd.get("execute").asText())) {
                return ok(cmd, "{}");
            }
            throw new IllegalStateException("drop the connection");
        });
        try (QmpClient c = QmpClient.connect(sock, "t", Duration.ofSeconds(5))) {
            QmpException e = assertThrows(QmpException.class, () -> c.execute("quit", null, Duration.ofSeconds(5)));
            assertTrue(e.isClosed(), e.getMessage());
            QmpException again = assertThrows(QmpException.class, () -> c.execute("query-status", null, Duration.ofSeconds(5)));
            assertTrue(again.isClosed());
        }
    }

    @Test
    void reportsAMissingSocketClearly() {
        QmpException e = assertThrows(QmpException.class, () -> QmpClient.connect(tmp.resolve("none.sock"), "t", Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("not available"), e.getMessage());
    }
}
