package net.vnsnap.host.rpc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.rpc.RpcEndpoint;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.HostException.Reason;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Serves a {@link HostAgent} as XML-RPC methods {@code host.*} to the allowed callers only; every answer is a
 * struct {@code {ok: true, value}} or {@code {ok: false, reason, message}}, never a fault.
 */
public final class HostAgentEndpoint implements RpcEndpoint {
    private static final Logger LOG = LogManager.getLogger(HostAgentEndpoint.class);

    /** The methods served, in documentation order. */
    public static final List<String> METHODS = List.of("host.info", "host.createSegment", "host.connectSegment", "host.removeSegment",
            "host.createVm", "host.vm", "host.vms", "host.pauseVm", "host.resumeVm", "host.destroyVm", "host.prepareSnapshot",
            "host.takeSnapshot", "host.commitSnapshot", "host.abortSnapshot", "host.progress", "host.snapshots", "host.deleteSnapshot",
            "host.restoreSnapshot", "host.resumeRestored", "host.updateUsers", "host.snapshotPart", "host.readSnapshotPart",
            "host.beginImport", "host.writeImport", "host.finishImport", "host.abortImport");

    private final HostAgent agent;
    /** URNs (as parsed) that may call; every other authenticated caller is FORBIDDEN. */
    private final Set<GeniUrn> allowed;

    public HostAgentEndpoint(HostAgent agent, Set<GeniUrn> allowedCallers) {
        this.agent = agent;
        this.allowed = Set.copyOf(allowedCallers);
    }

    @Override
    public Object call(RpcCaller caller, String method, List<Object> params) {
        if (!allowed.contains(caller.urn())) {
            LOG.warn("refused {} from {}: not an allowed caller", method, caller.urn());
            return failure(Reason.FORBIDDEN, "caller " + caller.urn() + " may not use this host agent");
        }
        try {
            Object value = dispatch(method, params);
            Map<String, Object> ok = new LinkedHashMap<>();
            ok.put("ok", true);
            ok.put("value", value);
            return ok;
        } catch (HostException e) {
            LOG.info("{} from {}: {} {}", method, caller.urn(), e.reason(), e.getMessage());
            return failure(e.reason(), e.getMessage());
        } catch (Wire.WireException e) {
            return failure(Reason.BAD_REQUEST, method + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} from {} failed", method, caller.urn(), e);
            return failure(Reason.INTERNAL, method + " failed: " + e);
        }
    }

    private Object dispatch(String method, List<Object> p) throws HostException, Wire.WireException {
        switch (method) {
            case "host.info":
                args(method, p, 0);
                return Wire.info(agent.info());
            case "host.createSegment":
                args(method, p, 1);
                agent.createSegment(Wire.segment(p.get(0)));
                return true;
            case "host.connectSegment":
                args(method, p, 3);
                agent.connectSegment(Wire.string(p.get(0), "slice"), Wire.string(p.get(1), "link"), Wire.string(p.get(2), "endpoint"));
                return true;
            case "host.removeSegment":
                args(method, p, 2);
                agent.removeSegment(Wire.string(p.get(0), "slice"), Wire.string(p.get(1), "link"));
                return true;
            case "host.createVm":
                args(method, p, 1);
                try {
                    return Wire.vmInfo(agent.createVm(Wire.vmRequest(p.get(0))));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new Wire.WireException("bad VM request: " + e.getMessage());
                }
            case "host.vm":
                args(method, p, 1);
                return Wire.vmInfo(agent.vm(Wire.string(p.get(0), "name")));
            case "host.vms":
                args(method, p, 0);
                return Wire.vmInfos(agent.vms());
            case "host.pauseVm":
                args(method, p, 1);
                agent.pauseVm(Wire.string(p.get(0), "name"));
                return true;
            case "host.resumeVm":
                args(method, p, 1);
                agent.resumeVm(Wire.string(p.get(0), "name"));
                return true;
            case "host.destroyVm":
                args(method, p, 1);
                agent.destroyVm(Wire.string(p.get(0), "name"));
                return true;
            case "host.prepareSnapshot":
                args(method, p, 1);
                return Wire.prepare(agent.prepareSnapshot(Wire.plan(p.get(0))));
            case "host.takeSnapshot":
                args(method, p, 2);
                return Wire.cuts(agent.takeSnapshot(Wire.string(p.get(0), "snapshotId"), Wire.time(p.get(1), "cutAt")));
            case "host.commitSnapshot":
                args(method, p, 1);
                return Wire.snapshot(agent.commitSnapshot(Wire.string(p.get(0), "snapshotId")));
            case "host.abortSnapshot":
                args(method, p, 1);
                agent.abortSnapshot(Wire.string(p.get(0), "snapshotId"));
                return true;
            case "host.progress":
                args(method, p, 1);
                return Wire.progress(agent.progress(Wire.string(p.get(0), "snapshotId")));
            case "host.snapshots":
                args(method, p, 0);
                return agent.snapshots().stream().map(s -> (Object) Wire.snapshot(s)).toList();
            case "host.deleteSnapshot":
                args(method, p, 1);
                agent.deleteSnapshot(Wire.string(p.get(0), "snapshotId"));
                return true;
            case "host.restoreSnapshot":
                // A third parameter (array of VM names) restores only those VMs of the part.
                if (p.size() == 3) {
                    return Wire.vmInfos(agent.restoreSnapshot(Wire.string(p.get(0), "snapshotId"), Wire.integer(p.get(1), "epoch"),
                            Wire.strings(p.get(2), "vms")));
                }
                args(method, p, 2);
                return Wire.vmInfos(agent.restoreSnapshot(Wire.string(p.get(0), "snapshotId"), Wire.integer(p.get(1), "epoch")));
            case "host.snapshotPart":
                args(method, p, 2);
                return Wire.part(agent.snapshotPart(Wire.string(p.get(0), "snapshotId"), Wire.string(p.get(1), "vm")));
            case "host.readSnapshotPart":
                args(method, p, 5);
                return agent.readSnapshotPart(Wire.string(p.get(0), "snapshotId"), Wire.string(p.get(1), "vm"),
                        Wire.string(p.get(2), "path"), Wire.count(p.get(3), "offset"), Wire.integer(p.get(4), "length"));
            case "host.beginImport":
                args(method, p, 1);
                return agent.beginImport(Wire.part(p.get(0)));
            case "host.writeImport":
                args(method, p, 5);
                agent.writeImport(Wire.string(p.get(0), "snapshotId"), Wire.string(p.get(1), "vm"), Wire.string(p.get(2), "path"),
                        Wire.count(p.get(3), "offset"), Wire.bytes(p.get(4), "data"));
                return true;
            case "host.finishImport":
                args(method, p, 2);
                return Wire.snapshot(agent.finishImport(Wire.string(p.get(0), "snapshotId"), Wire.string(p.get(1), "vm")));
            case "host.abortImport":
                args(method, p, 2);
                agent.abortImport(Wire.string(p.get(0), "snapshotId"), Wire.string(p.get(1), "vm"));
                return true;
            case "host.resumeRestored":
                args(method, p, 2);
                return Wire.vmInfos(agent.resumeRestored(Wire.string(p.get(0), "snapshotId"), Wire.time(p.get(1), "resumeAt")));
            case "host.updateUsers":
                args(method, p, 2);
                agent.updateUsers(Wire.string(p.get(0), "name"), Wire.users(p.get(1)));
                return true;
            default:
                throw new HostException(Reason.BAD_REQUEST, "unknown method " + method + "; this host agent serves " + METHODS);
        }
    }

    private static void args(String method, List<Object> p, int n) throws Wire.WireException {
        if (p.size() != n) {
            throw new Wire.WireException("takes " + n + " parameter(s), got " + p.size());
        }
    }

    static Map<String, Object> failure(Reason reason, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("reason", reason.name());
        m.put("message", message == null ? "" : message);
        return m;
    }

    @Override
    public Object badRequest(String reason) {
        return failure(Reason.BAD_REQUEST, reason);
    }

    @Override
    public Object internalError(String method, Exception e) {
        return failure(Reason.INTERNAL, method + " failed: " + e.getMessage());
    }
}
