package net.vnsnap.host.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PartFile;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.vswitch.ColourPolicy;
import org.junit.jupiter.api.Test;

/** The endpoint's answers without a network: authorization, malformed calls, and the record mapping both ways. */
class HostAgentEndpointTest {
    private static final GeniUrn AM = urn("urn:publicid:IDN+vnsnap:test:am+authority+am");
    private static final GeniUrn OTHER = urn("urn:publicid:IDN+vnsnap:test+user+mallory");

    /** An agent (a JDK proxy, no mocking library) that knows no VM and no snapshot. */
    private static final HostAgent EMPTY = (HostAgent) Proxy.newProxyInstance(HostAgent.class.getClassLoader(),
            new Class<?>[] {HostAgent.class}, (proxy, method, args) -> {
                throw new HostException(method.getName().contains("napshot") || method.getName().equals("progress")
                        ? HostException.Reason.NO_SUCH_SNAPSHOT : HostException.Reason.NO_SUCH_VM, "nothing here: " + method.getName());
            });

    private final HostAgentEndpoint endpoint = new HostAgentEndpoint(EMPTY, Set.of(AM));

    private static GeniUrn urn(String s) {
        try {
            return GeniUrn.parse(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(GeniUrn who, String method, Object... params) {
        return (Map<String, Object>) endpoint.call(new RpcCaller(List.of(), who), method, List.of(params));
    }

    @Test
    void onlyAllowedCallersGetPastTheDoor() {
        assertEquals(Map.of("ok", false, "reason", "FORBIDDEN", "message", "caller " + OTHER + " may not use this host agent"),
                call(OTHER, "host.vms"));
        assertEquals("NO_SUCH_VM", call(AM, "host.vm", "x").get("reason"));
        assertEquals("NO_SUCH_SNAPSHOT", call(AM, "host.progress", "s").get("reason"));
    }

    @Test
    void usersAndSshEndpointsCrossTheWire() throws Exception {
        List<GuestUser> users = List.of(new GuestUser("alice", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyKeyKeyKey a@x"),
                new GuestUser("bob"));
        VmRequest r = new VmRequest("v", "s", 128, 1, "guest", List.of(), Map.of(), users);
        assertEquals(r, Wire.vmRequest(Wire.vmRequest(r)));
        VmRequest plain = new VmRequest("v", "s", 128, 1, "guest", List.of(), Map.of());
        assertEquals(null, Wire.vmRequest(Wire.vmRequest(plain)).users(), "no users member: no guest access");
        VmInfo i = new VmInfo("v", "s", VmState.RUNNING, "", "", new SshEndpoint("host1.example.org", 22001));
        assertEquals(i, Wire.vmInfo(Wire.vmInfo(i)));
        Map<String, Object> old = new java.util.LinkedHashMap<>(Wire.vmInfo(i));
        old.remove("sshHost");
        old.remove("sshPort");
        assertEquals(null, Wire.vmInfo(old).ssh(), "an older agent's answer has no endpoint");
        assertEquals(0, Wire.vmInfo(new VmInfo("v", "s", VmState.RUNNING, "", "")).get("sshPort"));
        assertEquals("NO_SUCH_VM", call(AM, "host.updateUsers", "v", Wire.users(users)).get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.updateUsers", "v",
                List.of(Map.of("login", "root x", "keys", List.of()))).get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.updateUsers", "v",
                List.of(Map.of("login", "eve", "keys", List.of("command=\"x\" ssh-rsa AAAA")))).get("reason"));
    }

    @Test
    void malformedCallsAreBadRequestsNotFaults() {
        assertEquals("BAD_REQUEST", call(AM, "host.nope").get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.vm").get("reason"), "missing parameter");
        assertEquals("BAD_REQUEST", call(AM, "host.vm", 3).get("reason"), "wrong type");
        assertEquals("BAD_REQUEST", call(AM, "host.createVm", Map.of("name", "x")).get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.takeSnapshot", "s", "yesterday").get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.prepareSnapshot", Map.of("snapshotId", "s", "slice", "x", "epoch", 0,
                "mode", "cow", "includeDisk", false, "vms", new Object[0])).get("reason"), "epoch 0 is refused by the record");
        assertEquals(Map.of("ok", false, "reason", "BAD_REQUEST", "message", "unreadable"), endpoint.badRequest("unreadable"));
    }

    @Test
    void recordsSurviveTheRoundTrip() throws Exception {
        VmRequest r = new VmRequest("vm1", "slice", 128, 1, "guest", List.of(new VmRequest.NicRequest("net0", "52:54:00:00:00:01", "lan0",
                "10.0.0.1/24"), new VmRequest.NicRequest("net1", "52:54:00:00:00:02", "lan1", null)), Map.of("work", "ping 10.0.0.2"));
        assertEquals(r, Wire.vmRequest(Wire.vmRequest(r)));
        SnapshotPlan p = new SnapshotPlan("s1", "slice", 3, SnapshotMode.LIVE, true, List.of("a", "b"));
        assertEquals(p, Wire.plan(Wire.plan(p)));
        VmCut c = new VmCut("vm1", Instant.parse("2026-11-26T14:20:00.123456Z"), Duration.ofNanos(1_234_000), Duration.ofMillis(450),
                5_000_000_000L, 0, Map.of("pause", Duration.ofNanos(7_000)));
        HostSnapshot h = new HostSnapshot("s1", "slice", 3, SnapshotMode.COW, true, Instant.parse("2026-11-26T14:21:00Z"), List.of(c),
                6_000_000_000L, 4, 2, 1);
        assertEquals(h, Wire.snapshot(Wire.snapshot(h)));
        HostInfo i = new HostInfo("h1", "qemu", "10.0.2", "tcg", Set.of(SnapshotMode.COW, SnapshotMode.STOP), 1L << 40, "h1:4790",
                List.of("guest"), 8, 2);
        assertEquals(i, Wire.info(Wire.info(i)));
        HostInfo xen = new HostInfo("x1", "xen", "4.17.7", "pvh", Set.of(SnapshotMode.LIVE, SnapshotMode.STOP), 1L << 30, "x1:4790",
                List.of("guest"), 4, 0, false);
        assertEquals(xen, Wire.info(Wire.info(xen)), "a host without guest access says so");
        Map<String, Object> older = new java.util.LinkedHashMap<>(Wire.info(xen));
        older.remove("guestAccess");
        assertTrue(Wire.info(older).guestAccess(), "an older agent's answer: guest access, as every host then offered");
        assertEquals(Instant.parse("2026-11-26T12:00:00Z"), Wire.time("2026-11-26T14:00:00+02:00", "t"));
    }

    @Test
    void resumeInstantsAndSnapshotPartsCrossTheWire() throws Exception {
        VmInfo resumed = new VmInfo("v", "s", VmState.RUNNING, "snap1", "", null, Instant.parse("2026-11-26T14:20:00.123456789Z"));
        assertEquals(resumed, Wire.vmInfo(Wire.vmInfo(resumed)), "nanoseconds survive");
        Map<String, Object> old = new java.util.LinkedHashMap<>(Wire.vmInfo(resumed));
        old.remove("resumedAt");
        assertEquals(null, Wire.vmInfo(old).resumedAt(), "an older agent's answer: resume instant unknown");
        assertEquals("", Wire.vmInfo(new VmInfo("v", "s", VmState.RUNNING, "", "")).get("resumedAt"));

        SnapshotPart part = new SnapshotPart("s1", "slice", 4, SnapshotMode.COW, "vm1", "vm1-20261126T142000.000-1",
                List.of(new PartFile("part.manifest", 812, "ab"), new PartFile("vms/vm1-20261126T142000.000-1/memory.img", 6_000_000_000L, "cd")),
                List.of(new SegmentSpec("slice", "lan0", 401, ColourPolicy.HOLD_AND_RECORD)), List.of("/srv/images/vmlinux"));
        assertEquals(part, Wire.part(Wire.part(part)));
        assertEquals("BAD_REQUEST", call(AM, "host.beginImport", Map.of("snapshotId", "s1")).get("reason"));
        assertEquals("BAD_REQUEST", call(AM, "host.writeImport", "s1", "vm1", "part.manifest", "0", "not base64").get("reason"));
        assertEquals("NO_SUCH_SNAPSHOT", call(AM, "host.readSnapshotPart", "s1", "vm1", "part.manifest", "0", 10).get("reason"));
        assertEquals("NO_SUCH_SNAPSHOT", call(AM, "host.restoreSnapshot", "s1", 3, List.of("vm1")).get("reason"), "the subset form");
    }

    @Test
    void aCutsPhaseStartAndOrderCrossTheWireAndOlderHostsLeaveItUnknown() throws Exception {
        Map<String, Duration> phases = new java.util.LinkedHashMap<>();
        phases.put("pre-copy", Duration.ofMillis(900));
        phases.put("disk-overlays", Duration.ofMillis(3));
        phases.put("final-copy", Duration.ofMillis(40));
        phases.put("configure", Duration.ofMillis(2));
        VmCut c = new VmCut("vm2", Instant.parse("2026-11-26T14:20:01.5Z"), Duration.ofMillis(45), Duration.ofMillis(950), 10, 0,
                phases, Instant.parse("2026-11-26T14:20:00.6Z"));
        VmCut back = Wire.cut(Wire.cut(c));
        assertEquals(c, back);
        assertEquals(List.of("pre-copy", "disk-overlays", "final-copy", "configure"), List.copyOf(back.phases().keySet()));

        Map<String, Object> older = new java.util.LinkedHashMap<>(Wire.cut(c));
        older.remove("startedAt");
        assertEquals(null, Wire.cut(older).startedAt());
        assertEquals(c.phases(), Wire.cut(older).phases());
    }
}
