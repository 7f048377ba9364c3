package net.vnsnap.host.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.testing.ConsoleLog;
import org.junit.jupiter.api.Test;

/** The HostAgent contract checked in-process, against the LocalHostAgent itself, plus disk state of an image with a disk. */
class LocalHostAgentContractTest extends HostAgentContract {
    private static final Pattern BLK = Pattern.compile("^blk (\\d+)$");
    private static final String SLICE = "urn:publicid:IDN+vnsnap:test+slice+disk";

    @Override
    protected HostAgent agentUnderTest() {
        return local;
    }

    @Override
    protected int portBase() {
        return 47000 + (int) (ProcessHandle.current().pid() % 200) * 40;
    }

    @Test
    void diskStateIsTakenAtTheCutAndTheGuestKeepsWritingAfterRestore() throws Exception {
        VmInfo v = local.createVm(new VmRequest("dvm", SLICE, 128, 1, "disky", List.of(), Map.of("work", "diskrec /dev/vda 100")));
        ConsoleLog log = new ConsoleLog(Path.of(v.consoleLog()));
        log.await(BLK, 0, WAIT);
        try (Stream<Path> overlays = Files.list(tmp.resolve("disks"))) {
            assertEquals(1, overlays.count(), "the VM writes to its own overlay of the image's disk");
        }
        PrepareResult p = local.prepareSnapshot(new SnapshotPlan("disk-1", SLICE, 1, SnapshotMode.COW, true, List.of("dvm")));
        assertTrue(p.ready(), p.problems().toString());
        local.takeSnapshot("disk-1", null);
        HostSnapshot s = local.commitSnapshot("disk-1");
        assertTrue(s.vms().get(0).diskBytes() > 0, s.toString());
        int at = log.lineCount();
        log.await(BLK, at, WAIT);
        List<Long> before = log.numbers(BLK);
        long lastBefore = before.get(before.size() - 1);

        local.destroyVm("dvm");
        try (Stream<Path> overlays = Files.list(tmp.resolve("disks"))) {
            assertEquals(1, overlays.count(), "the frozen overlay stays with the snapshot");
        }
        local.restoreSnapshot("disk-1", 1);
        local.resumeRestored("disk-1", null);
        ConsoleLog after = new ConsoleLog(Path.of(local.vm("dvm").consoleLog()));
        long first = Long.parseLong(after.await(BLK, 0, WAIT).group(1));
        assertTrue(first >= 1 && first <= lastBefore, "the restored writer continues from the snapshot (" + first
                + ") which lies before the original's last record " + lastBefore);
        assertFalse(after.contains("error"), after.tail(10));
        local.destroyVm("dvm");
        local.deleteSnapshot("disk-1");
    }
}
