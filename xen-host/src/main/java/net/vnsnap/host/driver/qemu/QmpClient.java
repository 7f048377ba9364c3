package net.vnsnap.host.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** A QMP connection over a UNIX-domain socket: commands with ids and timeouts, events to listeners. */
final class QmpClient implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(QmpClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final String label;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final AtomicLong ids = new AtomicLong();
    private final Object writeLock = new Object();
    private final Thread reader;
    /** Set once the connection is gone; later commands fail at once with this reason. */
    private volatile String closedReason;

    private QmpClient(SocketChannel channel, String label) {
        this.channel = channel;
        this.label = label;
        this.reader = new Thread(this::readLoop, "qmp-" + label);
        this.reader.setDaemon(true);
    }

    /**
     * Connects to QEMU's QMP socket (waiting for QEMU to create it), reads the greeting and enters
     * command mode.
     */
    static QmpClient connect(Path socket, String label, Duration timeout) throws QmpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        SocketChannel ch = null;
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                try {
                    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    break;
                } catch (IOException e) {
                    last = e;
                    closeQuietly(ch);
                    ch = null;
                }
            }
            sleep(20);
        }
        if (ch == null) {
            throw new QmpException("Timeout", "QMP socket " + socket + " not available within " + timeout.toMillis()
                    + " ms" + (last != null ? ": " + last.getMessage() : ""), last);
        }
        QmpClient c = new QmpClient(ch, label);
        c.reader.start();
        try {
            c.greeting.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException | ExecutionException e) {
            c.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new QmpException("Timeout", "no QMP greeting from " + label, e);
        }
        c.execute("qmp_capabilities", null, timeout);
        return c;
    }

    /** The greeting's QEMU version object ({"major":..,"minor":..,"micro":..}). */
    JsonNode greetingVersion() {
        return greeting.getNow(JSON.createObjectNode()).path("QMP").path("version").path("qemu");
    }

    void addEventListener(Consumer<QmpEvent> listener) {
        listeners.add(listener);
    }

    void removeEventListener(Consumer<QmpEvent> listener) {
        listeners.remove(listener);
    }

    static ObjectNode args() {
        return JSON.createObjectNode();
    }

    /** Runs a command and returns its "return" value; throws with QEMU's error class and description. */
    JsonNode execute(String command, ObjectNode arguments, Duration timeout) throws QmpException {
        String reason = closedReason;
        if (reason != null) {
            throw new QmpException("Closed", label + ": QMP connection closed (" + reason + "); cannot run " + command);
        }
        String id = label + "-" + ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("execute", command).put("id", id);
        if (arguments != null) {
            msg.set("arguments", arguments);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            byte[] line = (msg.toString() + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
            JsonNode reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                JsonNode err = reply.get("error");
                throw new QmpException(err.path("class").asText("GenericError"),
                        command + " failed: " + err.path("desc").asText("(no description)"));
            }
            return reply.path("return");
        } catch (IOException e) {
            throw new QmpException("Closed", label + ": cannot send " + command + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new QmpException("Timeout", label + ": no reply to " + command + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("Closed", "interrupted while waiting for " + command, e);
        } catch (ExecutionException e) {
            throw new QmpException("Closed", label + ": QMP connection lost while running " + command + ": "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    boolean isOpen() {
        return closedReason == null;
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String reason = "end of stream";
        try {
            while (channel.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        dispatch(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
                buf.clear();
            }
        } catch (IOException e) {
            reason = e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
        } finally {
            closedReason = reason;
            IOException cause = new IOException("QMP connection to " + label + " closed (" + reason + ")");
            greeting.completeExceptionally(cause);
            pending.values().forEach(f -> f.completeExceptionally(cause));
        }
    }

    private void dispatch(String text) {
        if (text.isBlank()) {
            return;
        }
        JsonNode msg;
        try {
            msg = JSON.readTree(text);
        } catch (IOException e) {
            LOG.warn("{}: unparsable QMP line: {}", label, text);
            return;
        }
        if (msg.has("QMP")) {
            greeting.complete(msg);
        } else if (msg.has("event")) {
            JsonNode ts = msg.path("timestamp");
            LOG.trace("{}: event {}", label, text);
            QmpEvent ev = new QmpEvent(msg.get("event").asText(), msg.path("data"),
                    Instant.ofEpochSecond(ts.path("seconds").asLong(), ts.path("microseconds").asLong() * 1000L));
            for (Consumer<QmpEvent> l : listeners) {
                try {
                    l.accept(ev);
                } catch (RuntimeException e) {
                    LOG.warn("{}: event listener failed on {}", label, ev.name(), e);
                }
            }
        } else if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.get(msg.get("id").asText());
            if (f != null) {
                f.complete(msg);
            }
        }
    }

    @Override
    public void close() {
        closedReason = closedReason == null ? "closed by us" : closedReason;
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
