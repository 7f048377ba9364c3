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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.vnsnap.host.driver.BootSource;
import net.vnsnap.host.driver.CutHook;
import net.vnsnap.host.driver.SnapshotFailedException;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.SnapshotRequest;
import net.vnsnap.host.driver.SnapshotResult;
import net.vnsnap.host.driver.VmSpec;
import net.vnsnap.host.driver.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live-mode sequence against a scripted QEMU monitor: hold first, the host's stop, the cut, and never left paused. */
class LiveSequenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private Process process;
    private QmpClient qmp;

    @AfterEach
    void tearDown() {
        if (qmp != null) {
            qmp.close();
        }
        if (process != null) {
            process.destroyForcibly();
        }
    }

    /** A QEMU 10 monitor reduced to a live pre-copy: a 64 MiB guest whose copy converges after {@code passes} polls. */
    private static final class FakeMonitor {
        final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        final int passes;
        final boolean failContinue;
        String run = "running";
        String migration = "none";
        int polls;
        Path image;

        FakeMonitor(int passes, boolean failContinue) {
            this.passes = passes;
            this.failContinue = failContinue;
        }

        synchronized String answer(JsonNode cmd) throws Exception {
            String name = cmd.get("execute").asText();
            if (!name.startsWith("query") && !name.equals("qmp_capabilities")) {
                log.add(name);
            }
            String id = cmd.get("id").asText();
            String ok = "{\"return\": {}, \"id\": \"" + id + "\"}";
            switch (name) {
                case "qmp_capabilities", "migrate-set-capabilities", "migrate-set-parameters":
                    return ok;
                case "query-status":
                    return "{\"return\": {\"status\": \"" + run + "\", \"running\": " + run.equals("running") + "}, \"id\": \"" + id + "\"}";
                case "migrate":
                    image = Path.of(cmd.path("arguments").path("uri").asText().substring("file:".length()));
                    Files.write(image, new byte[4096]);
                    migration = "active";
                    return ok;
                case "query-migrate": {
                    if ("active".equals(migration)) {
                        polls++;
                        if (!"running".equals(run)) {
                            migration = "pre-switchover";
                            run = "finish-migrate";
                        }
                    }
                    long remaining = "active".equals(migration) ? Math.max(0, (passes - polls)) * (32L << 20) : 0;
                    String ram = "{\"total\": 67108864, \"remaining\": " + remaining + ", \"transferred\": " + (polls * 1_000_000L)
                            + ", \"mbps\": 8.0, \"dirty-sync-count\": " + polls + ", \"normal\": 1, \"duplicate\": 1}";
                    String time = "completed".equals(migration) ? ", \"total-time\": 120" : "";
                    return "{\"return\": {\"status\": \"" + migration + "\", \"ram\": " + ram + time + "}, \"id\": \"" + id + "\"}";
                }
                case "stop": {
                    String ev = "";
                    if ("running".equals(run)) {
                        run = "paused";
                        ev = event("STOP") + "\n";
                    }
                    return ev + ok;
                }
                case "migrate-continue":
                    if (failContinue) {
                        migration = "failed";
                        run = "paused"; // QEMU restores the state it found when the migration started: our pause
                        return "{\"error\": {\"class\": \"GenericError\", \"desc\": \"disk gone\"}, \"id\": \"" + id + "\"}";
                    }
                    migration = "completed";
                    run = "postmigrate";
                    return ok;
                case "migrate_cancel":
                    migration = "cancelled";
                    return ok;
                case "cont":
                    run = "running";
                    return event("RESUME") + "\n" + ok;
                default:
                    return "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"" + name + "\"}, \"id\": \"" + id + "\"}";
            }
        }

        private static String event(String name) {
            long us = System.currentTimeMillis() * 1000 + System.nanoTime() / 1000 % 1000;
            return "{\"timestamp\": {\"seconds\": " + us / 1_000_000 + ", \"microseconds\": " + us % 1_000_000 + "}, \"event\": \"" + name + "\"}";
        }
    }

    private QemuVm start(FakeMonitor monitor) throws Exception {
        Path sock = tmp.resolve("q.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        CompletableFuture.runAsync(() -> {
            try (server; SocketChannel c = server.accept()) {
                OutputStream out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                out.write("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}}, \"capabilities\": []}}\n"
                        .getBytes(StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    out.write((monitor.answer(JSON.readTree(line)) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                // the client closed the connection
            }
        });
        qmp = QmpClient.connect(sock, "fake", Duration.ofSeconds(5));
        process = new ProcessBuilder("sleep", "60").start(); // stands for QEMU's process: alive
        VmSpec spec = new VmSpec("vm", 64, 1, new BootSource.Kernel(tmp.resolve("k"), null, ""), List.of(), List.of());
        return new QemuVm(spec, new QemuInstancePaths(tmp.resolve("run")), process, qmp, new QemuVersion(10, 0, 2));
    }

    private static final class RecordingHook implements CutHook {
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        final FakeMonitor monitor;

        RecordingHook(FakeMonitor monitor) {
            this.monitor = monitor;
        }

        @Override
        public void beforePause(String vm) {
            calls.add("before-pause after " + monitor.log);
        }

        @Override
        public void atCut(String vm, Instant pausedAt) {
            calls.add("cut after " + monitor.log);
        }

        @Override
        public void afterResume(String vm) {
            calls.add("after-resume after " + monitor.log);
        }
    }

    @Test
    void theHostHoldsBeforeThePreCopyAndStopsTheVmItselfOnceItConverges() throws Exception {
        FakeMonitor monitor = new FakeMonitor(3, false);
        QemuVm vm = start(monitor);
        RecordingHook hook = new RecordingHook(monitor);
        SnapshotResult r = new QemuSnapshot(vm, SnapshotRequest.of(SnapshotMode.LIVE, tmp.resolve("mem"), hook),
                QemuConfig.defaults(tmp), (v, d, size, seq) -> null).run();
        assertEquals(List.of("migrate-set-capabilities", "migrate-set-parameters", "migrate", "stop", "migrate-continue", "cont"),
                monitor.log);
        assertEquals(List.of(
                "before-pause after [migrate-set-capabilities, migrate-set-parameters]",
                "cut after [migrate-set-capabilities, migrate-set-parameters, migrate, stop]",
                "after-resume after [migrate-set-capabilities, migrate-set-parameters, migrate, stop, migrate-continue, cont]"),
                hook.calls);
        assertTrue(monitor.polls >= 3, "the host waited for the copy to converge: " + monitor.polls + " polls");
        assertEquals(SnapshotMode.LIVE, r.mode());
        assertTrue(!r.downtime().isNegative() && r.downtime().compareTo(Duration.ofSeconds(30)) < 0, r.downtime().toString());
        assertEquals(List.of("configure", "pre-copy", "pause", "disk-overlays", "cut-hook", "final-copy", "resume"),
                List.copyOf(r.phases().keySet()));
    }

    @Test
    void aFailedFinalCopyLeavesTheVmRunning() throws Exception {
        FakeMonitor monitor = new FakeMonitor(1, true);
        QemuVm vm = start(monitor);
        RecordingHook hook = new RecordingHook(monitor);
        SnapshotFailedException e = assertThrows(SnapshotFailedException.class, () -> new QemuSnapshot(vm,
                SnapshotRequest.of(SnapshotMode.LIVE, tmp.resolve("mem"), hook), QemuConfig.defaults(tmp), (v, d, size, seq) -> null).run());
        assertEquals(VmState.RUNNING, e.stateAfter(), e.getMessage());
        assertEquals("cont", monitor.log.get(monitor.log.size() - 1), monitor.log.toString());
        assertTrue(Files.notExists(tmp.resolve("mem")), "the partial image is removed");
        assertTrue(hook.calls.stream().noneMatch(c -> c.startsWith("after-resume")), "the caller ends the hold after a failure");
    }
}
