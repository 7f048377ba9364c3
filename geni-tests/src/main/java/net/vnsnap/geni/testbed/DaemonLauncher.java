package net.vnsnap.geni.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts one of vnsnap's Java daemons as its own process on this JVM's classpath, with stderr appended to a
 * log, and waits for the ready line it prints on stdout.
 */
final class DaemonLauncher {

    /** A started daemon and the match of its ready line. */
    record Started(Process process, Matcher ready) {
    }

    private DaemonLauncher() {
    }

    /** The classpath of this JVM (under Surefire, the test classpath), which holds every daemon's classes. */
    static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /**
     * Runs {@code mainClass --config config} with a small heap, and returns once a stdout line matches
     * {@code ready}; on timeout or exit the process is killed and the log's content is in the exception.
     */
    static Started start(String name, String mainClass, Path config, Path log, String heap, Pattern ready,
            long readyTimeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classPath(), mainClass,
                "--config", config.toString())).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        BlockingQueue<String> out = new ArrayBlockingQueue<>(256);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    out.offer(l);
                }
            } catch (IOException e) {
                // The daemon exited; its log says why.
            }
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeoutSeconds);
        while (System.nanoTime() < deadline) {
            String line = out.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                Matcher m = ready.matcher(line);
                if (m.find()) {
                    return new Started(p, m);
                }
            } else if (!p.isAlive()) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IOException(name + " did not become ready; its log " + log + " says: "
                + (Files.exists(log) ? Files.readString(log) : "(nothing)"));
    }
}
