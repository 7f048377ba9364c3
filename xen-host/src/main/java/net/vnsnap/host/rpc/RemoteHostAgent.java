package net.vnsnap.host.rpc;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import net.vnsnap.host.api.HostInfo;
import net.vnsnap.host.api.HostSnapshot;
import net.vnsnap.host.api.PrepareResult;
import net.vnsnap.host.api.SegmentSpec;
import net.vnsnap.host.api.SnapshotPart;
import net.vnsnap.host.api.SnapshotPlan;
import net.vnsnap.host.api.SnapshotProgress;
import net.vnsnap.host.api.VmCut;
import net.vnsnap.host.api.VmInfo;
import net.vnsnap.host.api.VmRequest;
import net.vnsnap.host.driver.GuestUser;
import org.apache.xmlrpc.XmlRpcException;

/** A host agent reached over XML-RPC with mutual TLS; answers map back to records, failures to {@link HostException}. */
public final class RemoteHostAgent implements HostAgent {
    private final URI url;
    /** For quick calls (state, segments, VM lifecycle). */
    private final SecureXmlRpcClient control;
    /** For calls that wait for hypervisors or instants (take, commit, restore, resume). */
    private final SecureXmlRpcClient longCalls;

    /**
     * @param url          the agent's URL, e.g. {@code https://host1:12346/}
     * @param tls          our identity and trust roots
     * @param callTimeout  limit for ordinary calls
     * @param longTimeout  limit for snapshot, restore and resume calls
     */
    public RemoteHostAgent(URI url, SSLContext tls, Duration callTimeout, Duration longTimeout) throws IOException {
        this.url = url;
        this.control = new SecureXmlRpcClient(url, tls, (int) Math.min(Integer.MAX_VALUE, callTimeout.toMillis()));
        this.longCalls = new SecureXmlRpcClient(url, tls, (int) Math.min(Integer.MAX_VALUE, longTimeout.toMillis()));
    }

    public URI url() {
        return url;
    }

    /** Calls a method and unwraps {ok, value} or throws the agent's reason. */
    private Object call(SecureXmlRpcClient client, String method, Object... params) throws HostException {
        Object answer;
        try {
            answer = client.call(method, params);
        } catch (XmlRpcException e) {
            Throwable c = e.linkedException != null ? e.linkedException : e.getCause();
            String why = c != null ? c.toString() : e.getMessage();
            throw new HostException(Reason.UNREACHABLE, "host agent " + url + " did not answer " + method + ": " + why, e);
        } catch (RuntimeException e) {
            throw new HostException(Reason.UNREACHABLE, "host agent " + url + " did not answer " + method + ": " + e, e);
        }
        if (!(answer instanceof Map<?, ?> m) || !(m.get("ok") instanceof Boolean ok)) {
            throw new HostException(Reason.INTERNAL, "host agent " + url + " answered " + method + " with an unexpected value");
        }
        if (ok) {
            return m.get("value");
        }
        Reason reason;
        try {
            reason = Reason.valueOf(String.valueOf(m.get("reason")));
        } catch (IllegalArgumentException e) {
            reason = Reason.INTERNAL;
        }
        throw new HostException(reason, String.valueOf(m.get("message")));
    }

    private static <T> T decode(Decoder<T> d, Object value, String method) throws HostException {
        try {
            return d.decode(value);
        } catch (Wire.WireException | RuntimeException e) {
            throw new HostException(Reason.INTERNAL, "cannot read the answer to " + method + ": " + e.getMessage(), e);
        }
    }

    /** Turns an XML-RPC value into a record. */
    @FunctionalInterface
    private interface Decoder<T> {
        T decode(Object o) throws Wire.WireException;
    }

    @Override
    public HostInfo info() throws HostException {
        return decode(Wire::info, call(control, "host.info"), "host.info");
    }

    @Override
    public void createSegment(SegmentSpec segment) throws HostException {
        call(control, "host.createSegment", Wire.segment(segment));
    }

    @Override
    public void connectSegment(String slice, String link, String remoteTunnelEndpoint) throws HostException {
        call(control, "host.connectSegment", slice, link, remoteTunnelEndpoint);
    }

    @Override
    public void removeSegment(String slice, String link) throws HostException {
        call(control, "host.removeSegment", slice, link);
    }

    @Override
    public VmInfo createVm(VmRequest request) throws HostException {
        return decode(Wire::vmInfo, call(longCalls, "host.createVm", Wire.vmRequest(request)), "host.createVm");
    }

    @Override
    public VmInfo vm(String name) throws HostException {
        return decode(Wire::vmInfo, call(control, "host.vm", name), "host.vm");
    }

    @Override
    public List<VmInfo> vms() throws HostException {
        return decode(Wire::vmInfos, call(control, "host.vms"), "host.vms");
    }

    @Override
    public void pauseVm(String name) throws HostException {
        call(control, "host.pauseVm", name);
    }

    @Override
    public void resumeVm(String name) throws HostException {
        call(control, "host.resumeVm", name);
    }

    @Override
    public void destroyVm(String name) throws HostException {
        call(control, "host.destroyVm", name);
    }

    @Override
    public void updateUsers(String name, List<GuestUser> users) throws HostException {
        // The guest must acknowledge the list, which can take a command timeout: a long call.
        call(longCalls, "host.updateUsers", name, Wire.users(users));
    }

    @Override
    public PrepareResult prepareSnapshot(SnapshotPlan plan) throws HostException {
        return decode(Wire::prepare, call(control, "host.prepareSnapshot", Wire.plan(plan)), "host.prepareSnapshot");
    }

    @Override
    public List<VmCut> takeSnapshot(String snapshotId, Instant cutAt) throws HostException {
        return decode(Wire::cuts, call(longCalls, "host.takeSnapshot", snapshotId, Wire.time(cutAt)), "host.takeSnapshot");
    }

    @Override
    public HostSnapshot commitSnapshot(String snapshotId) throws HostException {
        return decode(Wire::snapshot, call(longCalls, "host.commitSnapshot", snapshotId), "host.commitSnapshot");
    }

    @Override
    public void abortSnapshot(String snapshotId) throws HostException {
        call(longCalls, "host.abortSnapshot", snapshotId);
    }

    @Override
    public SnapshotProgress progress(String snapshotId) throws HostException {
        return decode(Wire::progress, call(control, "host.progress", snapshotId), "host.progress");
    }

    @Override
    public List<HostSnapshot> snapshots() throws HostException {
        return decode(o -> {
            List<HostSnapshot> out = new ArrayList<>();
            for (Object x : Wire.array(o, "snapshots")) {
                out.add(Wire.snapshot(x));
            }
            return out;
        }, call(control, "host.snapshots"), "host.snapshots");
    }

    @Override
    public void deleteSnapshot(String snapshotId) throws HostException {
        call(longCalls, "host.deleteSnapshot", snapshotId);
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch) throws HostException {
        return decode(Wire::vmInfos, call(longCalls, "host.restoreSnapshot", snapshotId, epoch), "host.restoreSnapshot");
    }

    @Override
    public List<VmInfo> resumeRestored(String snapshotId, Instant resumeAt) throws HostException {
        return decode(Wire::vmInfos, call(longCalls, "host.resumeRestored", snapshotId, Wire.time(resumeAt)), "host.resumeRestored");
    }

    @Override
    public List<VmInfo> restoreSnapshot(String snapshotId, int epoch, List<String> vms) throws HostException {
        return decode(Wire::vmInfos, call(longCalls, "host.restoreSnapshot", snapshotId, epoch, List.copyOf(vms)), "host.restoreSnapshot");
    }

    @Override
    public SnapshotPart snapshotPart(String snapshotId, String vm) throws HostException {
        return decode(Wire::part, call(longCalls, "host.snapshotPart", snapshotId, vm), "host.snapshotPart");
    }

    @Override
    public byte[] readSnapshotPart(String snapshotId, String vm, String path, long offset, int length) throws HostException {
        return decode(o -> Wire.bytes(o, "chunk"), call(longCalls, "host.readSnapshotPart", snapshotId, vm, path, Wire.count(offset), length),
                "host.readSnapshotPart");
    }

    @Override
    public boolean beginImport(SnapshotPart part) throws HostException {
        return decode(o -> Wire.bool(o, "needed"), call(longCalls, "host.beginImport", Wire.part(part)), "host.beginImport");
    }

    @Override
    public void writeImport(String snapshotId, String vm, String path, long offset, byte[] data) throws HostException {
        call(longCalls, "host.writeImport", snapshotId, vm, path, Wire.count(offset), data);
    }

    @Override
    public HostSnapshot finishImport(String snapshotId, String vm) throws HostException {
        return decode(Wire::snapshot, call(longCalls, "host.finishImport", snapshotId, vm), "host.finishImport");
    }

    @Override
    public void abortImport(String snapshotId, String vm) throws HostException {
        call(longCalls, "host.abortImport", snapshotId, vm);
    }
}
