package net.vnsnap.host.rpc;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PartFile;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.SnapshotProgress;
import net.vnsnap.host.api.SshEndpoint;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import net.vnsnap.host.driver.SnapshotMode;
import net.vnsnap.host.driver.VmState;
import net.vnsnap.host.vswitch.ColourPolicy;

/**
 * Maps the contract's records to XML-RPC values and back (docs/hostd-protocol.md): ints, booleans, strings,
 * arrays and structs only; 64-bit counts as decimal strings, instants as RFC 3339 strings, durations as
 * double milliseconds, enums as lower-case names.
 */
final class Wire {

    /** A value on the wire does not have the expected shape. */
    static final class WireException extends Exception {
        private static final long serialVersionUID = 1L;

        WireException(String message) {
            super(message);
        }
    }

    private Wire() {
    }

    // ---- scalars ----

    static String time(Instant t) {
        return t == null ? "" : t.toString();
    }

    /** Parses RFC 3339 (any offset); "" means none. */
    static Instant time(Object o, String what) throws WireException {
        String s = string(o, what);
        if (s.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new WireException(what + " must be an RFC 3339 time, got '" + s + "'");
        }
    }

    static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }

    static Duration millis(Object o, String what) throws WireException {
        if (o instanceof Number n) {
            return Duration.ofNanos(Math.round(n.doubleValue() * 1e6));
        }
        throw new WireException(what + " must be a number of milliseconds");
    }

    static String count(long v) {
        return Long.toString(v);
    }

    static long count(Object o, String what) throws WireException {
        if (o instanceof Integer i) {
            return i;
        }
        try {
            return Long.parseLong(string(o, what));
        } catch (NumberFormatException e) {
            throw new WireException(what + " must be a decimal integer, got '" + o + "'");
        }
    }

    static String string(Object o, String what) throws WireException {
        if (o instanceof String s) {
            return s;
        }
        throw new WireException(what + " must be a string");
    }

    static int integer(Object o, String what) throws WireException {
        if (o instanceof Integer i) {
            return i;
        }
        throw new WireException(what + " must be an int");
    }

    static boolean bool(Object o, String what) throws WireException {
        if (o instanceof Boolean b) {
            return b;
        }
        throw new WireException(what + " must be a boolean");
    }

    static String enumName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E>> E enumValue(Class<E> type, Object o, String what) throws WireException {
        String s = string(o, what);
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new WireException(what + " '" + s + "' is not one of " + EnumSet.allOf(type).stream().map(Wire::enumName).toList());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> struct(Object o, String what) throws WireException {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new WireException(what + " must be a struct");
    }

    static List<Object> array(Object o, String what) throws WireException {
        if (o instanceof Object[] a) {
            return List.of(a);
        }
        if (o instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        throw new WireException(what + " must be an array");
    }

    static Object field(Map<String, Object> s, String key, String what) throws WireException {
        Object v = s.get(key);
        if (v == null) {
            throw new WireException(what + " lacks member '" + key + "'");
        }
        return v;
    }

    // ---- records ----

    static Map<String, Object> info(HostInfo i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostId", i.hostId());
        m.put("hypervisor", i.hypervisor());
        m.put("hypervisorVersion", i.hypervisorVersion());
        m.put("accelerator", i.accelerator());
        m.put("modes", i.modes().stream().sorted().map(Wire::enumName).toList());
        m.put("freeSnapshotBytes", count(i.freeSnapshotBytes()));
        m.put("tunnelEndpoint", i.tunnelEndpoint());
        m.put("images", i.images());
        m.put("maxVms", i.maxVms());
        m.put("runningVms", i.runningVms());
        m.put("guestAccess", i.guestAccess());
        return m;
    }

    static HostInfo info(Object o) throws WireException {
        Map<String, Object> s = struct(o, "host info");
        Set<SnapshotMode> modes = EnumSet.noneOf(SnapshotMode.class);
        for (Object x : array(field(s, "modes", "host info"), "modes")) {
            modes.add(enumValue(SnapshotMode.class, x, "mode"));
        }
        List<String> images = new ArrayList<>();
        for (Object x : array(field(s, "images", "host info"), "images")) {
            images.add(string(x, "image"));
        }
        return new HostInfo(string(field(s, "hostId", "host info"), "hostId"), string(field(s, "hypervisor", "host info"), "hypervisor"),
                string(field(s, "hypervisorVersion", "host info"), "hypervisorVersion"),
                string(field(s, "accelerator", "host info"), "accelerator"), modes,
                count(field(s, "freeSnapshotBytes", "host info"), "freeSnapshotBytes"),
                string(field(s, "tunnelEndpoint", "host info"), "tunnelEndpoint"), images,
                integer(field(s, "maxVms", "host info"), "maxVms"), integer(field(s, "runningVms", "host info"), "runningVms"),
                // A hostd from before the field existed offered guest access wherever it ran.
                !s.containsKey("guestAccess") || bool(s.get("guestAccess"), "guestAccess"));
    }

    static Map<String, Object> segment(SegmentSpec sp) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("slice", sp.slice());
        m.put("link", sp.link());
        m.put("vni", sp.vni());
        m.put("policy", enumName(sp.policy()));
        return m;
    }

    static SegmentSpec segment(Object o) throws WireException {
        Map<String, Object> s = struct(o, "segment");
        try {
            return new SegmentSpec(string(field(s, "slice", "segment"), "slice"), string(field(s, "link", "segment"), "link"),
                    integer(field(s, "vni", "segment"), "vni"), enumValue(ColourPolicy.class, field(s, "policy", "segment"), "policy"));
        } catch (IllegalArgumentException e) {
            throw new WireException(e.getMessage());
        }
    }

    static Map<String, Object> vmRequest(VmRequest r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("slice", r.slice());
        m.put("memoryMiB", r.memoryMiB());
        m.put("vcpus", r.vcpus());
        m.put("image", r.image());
        List<Object> nics = new ArrayList<>();
        for (VmRequest.NicRequest n : r.nics()) {
            Map<String, Object> nm = new LinkedHashMap<>();
            nm.put("id", n.id());
            nm.put("mac", n.mac());
            nm.put("link", n.link());
            nm.put("ip", n.ip() == null ? "" : n.ip());
            nics.add(nm);
        }
        m.put("nics", nics);
        m.put("guestConfig", new LinkedHashMap<String, Object>(r.guestConfig()));
        if (r.users() != null) {
            m.put("users", users(r.users()));
        }
        return m;
    }

    static List<Object> users(List<GuestUser> users) {
        List<Object> out = new ArrayList<>();
        for (GuestUser u : users) {
            Map<String, Object> um = new LinkedHashMap<>();
            um.put("login", u.login());
            um.put("keys", u.keys());
            out.add(um);
        }
        return out;
    }

    static List<GuestUser> users(Object o) throws WireException {
        List<GuestUser> out = new ArrayList<>();
        for (Object x : array(o, "users")) {
            Map<String, Object> u = struct(x, "user");
            List<String> keys = new ArrayList<>();
            for (Object k : array(u.getOrDefault("keys", new Object[0]), "keys")) {
                keys.add(string(k, "key"));
            }
            try {
                out.add(new GuestUser(string(field(u, "login", "user"), "login"), keys));
            } catch (IllegalArgumentException e) {
                throw new WireException(e.getMessage());
            }
        }
        return out;
    }

    static VmRequest vmRequest(Object o) throws WireException {
        Map<String, Object> s = struct(o, "VM request");
        List<VmRequest.NicRequest> nics = new ArrayList<>();
        for (Object x : array(s.getOrDefault("nics", new Object[0]), "nics")) {
            Map<String, Object> n = struct(x, "NIC");
            String ip = n.get("ip") == null ? "" : string(n.get("ip"), "ip");
            nics.add(new VmRequest.NicRequest(string(field(n, "id", "NIC"), "id"), string(field(n, "mac", "NIC"), "mac"),
                    string(field(n, "link", "NIC"), "link"), ip.isEmpty() ? null : ip));
        }
        Map<String, String> guest = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : struct(s.getOrDefault("guestConfig", Map.of()), "guestConfig").entrySet()) {
            guest.put(e.getKey(), string(e.getValue(), "guestConfig." + e.getKey()));
        }
        return new VmRequest(string(field(s, "name", "VM request"), "name"), string(field(s, "slice", "VM request"), "slice"),
                integer(field(s, "memoryMiB", "VM request"), "memoryMiB"), integer(field(s, "vcpus", "VM request"), "vcpus"),
                string(field(s, "image", "VM request"), "image"), nics, guest, s.containsKey("users") ? users(s.get("users")) : null);
    }

    static Map<String, Object> vmInfo(VmInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("slice", v.slice());
        m.put("state", enumName(v.state()));
        m.put("restoredFrom", v.restoredFrom());
        m.put("consoleLog", v.consoleLog());
        m.put("sshHost", v.ssh() == null ? "" : v.ssh().host());
        m.put("sshPort", v.ssh() == null ? 0 : v.ssh().port());
        m.put("resumedAt", time(v.resumedAt()));
        return m;
    }

    static VmInfo vmInfo(Object o) throws WireException {
        Map<String, Object> s = struct(o, "VM");
        // sshHost/sshPort are absent from agents older than guest access: no endpoint.
        String sshHost = s.get("sshHost") == null ? "" : string(s.get("sshHost"), "sshHost");
        int sshPort = s.get("sshPort") == null ? 0 : integer(s.get("sshPort"), "sshPort");
        SshEndpoint ssh;
        try {
            ssh = sshHost.isEmpty() || sshPort == 0 ? null : new SshEndpoint(sshHost, sshPort);
        } catch (IllegalArgumentException e) {
            throw new WireException(e.getMessage());
        }
        // resumedAt is absent from agents that do not measure resumes: unknown.
        Instant resumedAt = s.get("resumedAt") == null ? null : time(s.get("resumedAt"), "resumedAt");
        return new VmInfo(string(field(s, "name", "VM"), "name"), string(field(s, "slice", "VM"), "slice"),
                enumValue(VmState.class, field(s, "state", "VM"), "state"), string(field(s, "restoredFrom", "VM"), "restoredFrom"),
                string(field(s, "consoleLog", "VM"), "consoleLog"), ssh, resumedAt);
    }

    static List<Object> vmInfos(List<VmInfo> vs) {
        return vs.stream().map(v -> (Object) vmInfo(v)).toList();
    }

    static List<VmInfo> vmInfos(Object o) throws WireException {
        List<VmInfo> out = new ArrayList<>();
        for (Object x : array(o, "VMs")) {
            out.add(vmInfo(x));
        }
        return out;
    }

    static Map<String, Object> plan(SnapshotPlan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshotId", p.snapshotId());
        m.put("slice", p.slice());
        m.put("epoch", p.epoch());
        m.put("mode", enumName(p.mode()));
        m.put("includeDisk", p.includeDisk());
        m.put("vms", p.vms());
        return m;
    }

    static SnapshotPlan plan(Object o) throws WireException {
        Map<String, Object> s = struct(o, "snapshot plan");
        List<String> vms = new ArrayList<>();
        for (Object x : array(field(s, "vms", "snapshot plan"), "vms")) {
            vms.add(string(x, "VM name"));
        }
        try {
            return new SnapshotPlan(string(field(s, "snapshotId", "snapshot plan"), "snapshotId"),
                    string(field(s, "slice", "snapshot plan"), "slice"), integer(field(s, "epoch", "snapshot plan"), "epoch"),
                    enumValue(SnapshotMode.class, field(s, "mode", "snapshot plan"), "mode"),
                    bool(field(s, "includeDisk", "snapshot plan"), "includeDisk"), vms);
        } catch (IllegalArgumentException e) {
            throw new WireException(e.getMessage());
        }
    }

    static Map<String, Object> prepare(PrepareResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ready", r.ready());
        m.put("requiredBytes", count(r.requiredBytes()));
        m.put("freeBytes", count(r.freeBytes()));
        m.put("problems", r.problems());
        return m;
    }

    static PrepareResult prepare(Object o) throws WireException {
        Map<String, Object> s = struct(o, "prepare result");
        List<String> problems = new ArrayList<>();
        for (Object x : array(field(s, "problems", "prepare result"), "problems")) {
            problems.add(string(x, "problem"));
        }
        return new PrepareResult(bool(field(s, "ready", "prepare result"), "ready"),
                count(field(s, "requiredBytes", "prepare result"), "requiredBytes"),
                count(field(s, "freeBytes", "prepare result"), "freeBytes"), problems);
    }

    static Map<String, Object> cut(VmCut c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm", c.vm());
        m.put("cutAt", time(c.cutAt()));
        m.put("downtimeMs", millis(c.downtime()));
        m.put("totalMs", millis(c.total()));
        m.put("memoryBytes", count(c.memoryBytes()));
        m.put("diskBytes", count(c.diskBytes()));
        List<Object> phases = new ArrayList<>();
        for (Map.Entry<String, Duration> e : c.phases().entrySet()) {
            phases.add(Map.of("name", e.getKey(), "ms", millis(e.getValue())));
        }
        m.put("phases", phases);
        if (c.startedAt() != null) {
            m.put("startedAt", time(c.startedAt()));
        }
        return m;
    }

    static VmCut cut(Object o) throws WireException {
        Map<String, Object> s = struct(o, "VM cut");
        Map<String, Duration> phases = new LinkedHashMap<>();
        for (Object x : array(field(s, "phases", "VM cut"), "phases")) {
            Map<String, Object> p = struct(x, "phase");
            phases.put(string(field(p, "name", "phase"), "name"), millis(field(p, "ms", "phase"), "ms"));
        }
        return new VmCut(string(field(s, "vm", "VM cut"), "vm"), time(field(s, "cutAt", "VM cut"), "cutAt"),
                millis(field(s, "downtimeMs", "VM cut"), "downtimeMs"), millis(field(s, "totalMs", "VM cut"), "totalMs"),
                count(field(s, "memoryBytes", "VM cut"), "memoryBytes"), count(field(s, "diskBytes", "VM cut"), "diskBytes"), phases,
                s.containsKey("startedAt") ? time(s.get("startedAt"), "startedAt") : null);
    }

    static List<Object> cuts(List<VmCut> cs) {
        return cs.stream().map(c -> (Object) cut(c)).toList();
    }

    static List<VmCut> cuts(Object o) throws WireException {
        List<VmCut> out = new ArrayList<>();
        for (Object x : array(o, "cuts")) {
            out.add(cut(x));
        }
        return out;
    }

    static Map<String, Object> snapshot(HostSnapshot h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshotId", h.snapshotId());
        m.put("slice", h.slice());
        m.put("epoch", h.epoch());
        m.put("mode", enumName(h.mode()));
        m.put("complete", h.complete());
        m.put("createdAt", time(h.createdAt()));
        m.put("vms", cuts(h.vms()));
        m.put("bytes", count(h.bytes()));
        m.put("framesRecorded", count(h.framesRecorded()));
        m.put("framesHeld", count(h.framesHeld()));
        m.put("framesDropped", count(h.framesDropped()));
        return m;
    }

    static HostSnapshot snapshot(Object o) throws WireException {
        Map<String, Object> s = struct(o, "snapshot");
        return new HostSnapshot(string(field(s, "snapshotId", "snapshot"), "snapshotId"), string(field(s, "slice", "snapshot"), "slice"),
                integer(field(s, "epoch", "snapshot"), "epoch"), enumValue(SnapshotMode.class, field(s, "mode", "snapshot"), "mode"),
                bool(field(s, "complete", "snapshot"), "complete"), time(field(s, "createdAt", "snapshot"), "createdAt"),
                cuts(field(s, "vms", "snapshot")), count(field(s, "bytes", "snapshot"), "bytes"),
                count(field(s, "framesRecorded", "snapshot"), "framesRecorded"), count(field(s, "framesHeld", "snapshot"), "framesHeld"),
                count(field(s, "framesDropped", "snapshot"), "framesDropped"));
    }

    static Map<String, Object> progress(SnapshotProgress p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshotId", p.snapshotId());
        m.put("phase", p.phase());
        m.put("bytesWritten", count(p.bytesWritten()));
        m.put("bytesExpected", count(p.bytesExpected()));
        return m;
    }

    static SnapshotProgress progress(Object o) throws WireException {
        Map<String, Object> s = struct(o, "progress");
        return new SnapshotProgress(string(field(s, "snapshotId", "progress"), "snapshotId"), string(field(s, "phase", "progress"), "phase"),
                count(field(s, "bytesWritten", "progress"), "bytesWritten"), count(field(s, "bytesExpected", "progress"), "bytesExpected"));
    }

    static byte[] bytes(Object o, String what) throws WireException {
        if (o instanceof byte[] b) {
            return b;
        }
        throw new WireException(what + " must be base64");
    }

    static List<String> strings(Object o, String what) throws WireException {
        List<String> out = new ArrayList<>();
        for (Object x : array(o, what)) {
            out.add(string(x, what));
        }
        return out;
    }

    static Map<String, Object> part(SnapshotPart p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshotId", p.snapshotId());
        m.put("slice", p.slice());
        m.put("epoch", p.epoch());
        m.put("mode", enumName(p.mode()));
        m.put("vm", p.vm());
        m.put("storeId", p.storeId());
        List<Object> files = new ArrayList<>();
        for (PartFile f : p.files()) {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("path", f.path());
            fm.put("size", count(f.size()));
            fm.put("sha256", f.sha256());
            files.add(fm);
        }
        m.put("files", files);
        m.put("segments", p.segments().stream().map(sp -> (Object) segment(sp)).toList());
        m.put("requiredPaths", p.requiredPaths());
        return m;
    }

    static SnapshotPart part(Object o) throws WireException {
        Map<String, Object> s = struct(o, "snapshot part");
        List<PartFile> files = new ArrayList<>();
        List<SegmentSpec> segments = new ArrayList<>();
        try {
            for (Object x : array(field(s, "files", "snapshot part"), "files")) {
                Map<String, Object> f = struct(x, "part file");
                files.add(new PartFile(string(field(f, "path", "part file"), "path"), count(field(f, "size", "part file"), "size"),
                        string(field(f, "sha256", "part file"), "sha256")));
            }
            for (Object x : array(field(s, "segments", "snapshot part"), "segments")) {
                segments.add(segment(x));
            }
            return new SnapshotPart(string(field(s, "snapshotId", "snapshot part"), "snapshotId"),
                    string(field(s, "slice", "snapshot part"), "slice"), integer(field(s, "epoch", "snapshot part"), "epoch"),
                    enumValue(SnapshotMode.class, field(s, "mode", "snapshot part"), "mode"), string(field(s, "vm", "snapshot part"), "vm"),
                    string(field(s, "storeId", "snapshot part"), "storeId"), files, segments,
                    strings(field(s, "requiredPaths", "snapshot part"), "requiredPaths"));
        } catch (IllegalArgumentException e) {
            throw new WireException(e.getMessage());
        }
    }
}
