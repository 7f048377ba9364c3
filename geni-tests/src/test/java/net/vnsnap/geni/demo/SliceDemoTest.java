package net.vnsnap.geni.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.vnsnap.geni.testbed.Checkout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the slice demo end to end (real AM, host agents and QEMU guests) and checks its JSON report field by field. */
class SliceDemoTest {

    @TempDir
    Path tmp;

    @Test
    void demoSnapshotsAndRestoresTheSliceConsistentlyAndReportsIt() throws Exception {
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed: run bin/lib/install-qemu.sh");
        Path work = tmp.resolve("work");
        Path json = tmp.resolve("report.json");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DemoReport r;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            r = SliceDemo.run(new SliceDemo.Options(work, json, Duration.ofSeconds(5), false), out);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        JsonNode j = new ObjectMapper().readTree(json.toFile());

        assertEquals("slice", j.get("demo").asText());
        assertEquals(DemoReport.FORMAT, j.get("format").asInt());
        List<String> failed = new ArrayList<>();
        j.get("checks").forEach(c -> {
            if (!c.get("passed").asBoolean()) {
                failed.add(c.get("name").asText() + ": " + c.get("detail").asText());
            }
        });
        assertEquals(List.of(), failed, text);
        assertTrue(j.get("passed").asBoolean(), text);
        assertEquals(r.passed(), j.get("passed").asBoolean());
        assertTrue(j.get("am_url").asText().startsWith("https://"), "the demo talks TLS to the AM");

        // Every check the report promises is there.
        Set<String> names = new TreeSet<>();
        j.get("checks").forEach(c -> names.add(c.get("name").asText()));
        assertEquals(new TreeSet<>(List.of("snapshot succeeded", "snapshot progress never went backwards", "no frame dropped at the cut",
                "every VM in the snapshot with its size and downtime", "the manifest lists the snapshot complete",
                "the live slice lost nothing during and after the snapshot", "the slice ran on after the snapshot",
                "restored slice is geni_ready", "udp vm1->vm3 resumed from the cut", "udp vm1->vm3 no orphan, loss or duplicate",
                "udp vm3->vm1 resumed from the cut", "udp vm3->vm1 no orphan, loss or duplicate",
                "tcp vm2->vm3 continuous across the restore", "Delete removed every VM")), names);

        // Ten steps, in order, each done and timed.
        JsonNode steps = j.get("steps");
        assertEquals(SliceDemo.STEPS, steps.size());
        for (int i = 0; i < steps.size(); i++) {
            assertEquals(i + 1, steps.get(i).get("step").asInt());
            assertTrue(steps.get(i).get("ok").asBoolean(), steps.get(i).toString());
            assertTrue(steps.get(i).get("seconds").asDouble() >= 0, steps.get(i).toString());
        }
        assertTrue(text.contains("[5/10] take a live slice snapshot") && text.contains("% of the snapshot bytes written"), text);

        // The snapshot's figures are plausible.
        JsonNode s = j.get("snapshot");
        assertTrue(s.get("id").asText().startsWith("snap-"), s.toString());
        assertEquals("live", s.get("mode").asText());
        assertEquals("complete", s.get("state").asText());
        assertTrue(s.get("seconds").asDouble() > 0 && s.get("duration_ms").asInt() > 0, s.toString());
        assertTrue(s.get("cut_skew_us").asInt() >= 0, s.toString());
        assertEquals(0, s.get("frames_dropped").asInt(), s.toString());
        assertTrue(s.get("frames_held").asInt() >= 0 && s.get("frames_recorded").asInt() >= 0, s.toString());
        assertFalse(s.get("progress_seen").isEmpty(), "Status showed the progress at least once: " + s);
        List<String> vms = new ArrayList<>();
        long sum = 0;
        for (JsonNode v : s.get("vms")) {
            vms.add(v.get("client_id").asText());
            assertTrue(v.get("downtime_ms").asLong() > 0, v.toString());
            assertTrue(v.get("size_bytes").asLong() > 1 << 20, "a VM's memory image is megabytes: " + v);
            sum += v.get("size_bytes").asLong();
        }
        assertEquals(List.of("vm1", "vm2", "vm3"), vms.stream().sorted().toList());
        assertTrue(s.get("size_bytes").asLong() >= sum / 2 && s.get("size_bytes").asLong() > 0, s.toString());

        JsonNode re = j.get("restore");
        assertTrue(re.get("seconds").asDouble() > 0 && re.get("duration_ms").asInt() > 0, re.toString());
        assertTrue(re.get("resume_skew_us").asInt() >= 0, re.toString());
        assertTrue(j.get("run_on_seconds").asDouble() >= 5, j.toString());

        // The workload resumed from the cut: the restored senders went back to where they were at the cut, which is
        // before where the slice had run on to, and the restored receivers read on from there without a gap.
        JsonNode udp = j.get("workload").get("udp");
        assertEquals(2, udp.size());
        for (JsonNode u : udp) {
            assertEquals(0, u.get("violations").size(), u.toString());
            long cut = u.get("sent_at_cut").asLong();
            assertTrue(cut > 0 && u.get("ran_on_to").asLong() > cut, u.toString());
            // The sender may log its first restored number just after the cut although it sent it before (sendto, cut,
            // printf), so the receiver may start one above it.
            assertTrue(u.get("resumed_at").asLong() <= cut + 2, u.toString());
            assertTrue(u.get("read_to").asLong() >= cut + 20, u.toString());
            assertEquals(cut + 1 - u.get("resumed_at").asLong(), u.get("replayed").asLong(), u.toString());
        }
        JsonNode tcp = j.get("workload").get("tcp");
        assertEquals(List.of("live", "restored"), List.of(tcp.get(0).get("run").asText(), tcp.get(1).get("run").asText()));
        for (JsonNode t : tcp) {
            assertEquals(0, t.get("violations").size(), t.toString());
            assertTrue(t.get("checksums_compared").asInt() >= 3, t.toString());
        }

        // It cleaned up: nothing of the run is left running, and its directory is gone.
        String mine = work.toString();
        List<String> left = ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(mine)).toList();
        assertEquals(List.of(), left);
        assertFalse(Files.exists(work), "the demo removes its directory without --keep");
    }
}
