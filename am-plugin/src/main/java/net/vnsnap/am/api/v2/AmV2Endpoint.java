package net.vnsnap.am.api.v2;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.am.api.GeniEndpoint;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.api.RSpecVersions;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.api.Slivers;
import net.vnsnap.am.api.Wire;
import net.vnsnap.am.api.v3.AmApiV3;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.credential.CredentialEnvelope;
import net.vnsnap.certs.rpc.RpcCaller;

/**
 * AM API v2 on its own URL, as a thin adapter over the v3 implementation: CreateSliver is Allocate,
 * Provision and geni_start; SliverStatus maps v3 states to v2's ready/configuring/failed/unknown;
 * credentials are bare XML strings; every answer is {code, value, output}.
 */
public final class AmV2Endpoint extends GeniEndpoint {

    private final AmApiV3 api;

    public AmV2Endpoint(AmApiV3 api) {
        super("v2");
        this.api = api;
    }

    @Override
    protected Object dispatch(RpcCaller caller, String method, List<Object> p) throws GeniException {
        switch (method) {
            case "GetVersion": {
                if (p.size() > 1) {
                    throw usage(method, "([options])");
                }
                Map<String, Object> value = new LinkedHashMap<>(api.getVersion(Wire.options(p.isEmpty() ? null : p.get(0))));
                value.put("geni_api", 2);
                return version(value, 2);
            }
            case "ListResources": {
                expect(p, 2, method, "(credentials, options)");
                ApiCall call = call(caller, p.get(0), p.get(1));
                Object slice = call.options().asMap().get("geni_slice_urn");
                String rspec;
                if (slice != null) {
                    RSpecVersions.requireGeni3(call.options(), RSpecVersions.Kind.MANIFEST);
                    rspec = api.describe(call, List.of(Wire.string(slice, "geni_slice_urn"))).rspec();
                } else {
                    RSpecVersions.requireGeni3(call.options(), RSpecVersions.Kind.ADVERTISEMENT);
                    rspec = api.listResources(call);
                }
                return ok(call.options().bool("geni_compressed", false) ? Wire.compress(rspec) : rspec);
            }
            case "CreateSliver": {
                expect(p, 5, method, "(slice_urn, credentials, rspec, users, options)");
                String slice = Wire.string(p.get(0), "slice_urn");
                ApiCall base = call(caller, p.get(1), p.get(4));
                Map<String, Object> withUsers = new LinkedHashMap<>(base.options().asMap());
                withUsers.put("geni_users", Wire.array(p.get(3), "users").toArray());
                ApiCall call = new ApiCall(caller, base.credentials(), new Options(withUsers));
                api.allocate(call, slice, Wire.string(p.get(2), "rspec"));
                List<String> urns = List.of(slice);
                Slivers provisioned = api.provision(call, urns);
                // The slivers exist now: a VM that died since Provision shows as failed in SliverStatus rather than
                // failing a call whose resources stay allocated.
                Map<String, Object> startOptions = new LinkedHashMap<>(withUsers);
                startOptions.put("geni_best_effort", Boolean.TRUE);
                api.performOperationalAction(new ApiCall(caller, base.credentials(), new Options(startOptions)), urns, "geni_start");
                return ok(provisioned.rspec());
            }
            case "SliverStatus": {
                expect(p, 3, method, "(slice_urn, credentials, options)");
                String slice = Wire.string(p.get(0), "slice_urn");
                return ok(status(api.status(call(caller, p.get(1), p.get(2)), List.of(slice))));
            }
            case "RenewSliver": {
                expect(p, 4, method, "(slice_urn, credentials, expiration_time, options)");
                ApiCall call = call(caller, p.get(1), p.get(3));
                Instant until = Wire.parseTime(p.get(2), "expiration_time");
                api.renew(call, List.of(Wire.string(p.get(0), "slice_urn")), until);
                return ok(Boolean.TRUE);
            }
            case "DeleteSliver": {
                expect(p, 3, method, "(slice_urn, credentials, options)");
                api.delete(call(caller, p.get(1), p.get(2)), List.of(Wire.string(p.get(0), "slice_urn")));
                return ok(Boolean.TRUE);
            }
            case "Shutdown": {
                expect(p, 3, method, "(slice_urn, credentials, options)");
                api.shutdown(call(caller, p.get(1), p.get(2)), Wire.string(p.get(0), "slice_urn"));
                return ok(Boolean.TRUE);
            }
            default:
                throw new GeniException(GeniCode.UNSUPPORTED, "method " + method + " is not part of AM API v2");
        }
    }

    /** v2 credentials are bare XML strings; v3-style structs are accepted too, as Omni may send them. */
    private static ApiCall call(RpcCaller caller, Object creds, Object options) throws GeniException {
        List<CredentialEnvelope> list = Wire.credentials(creds);
        return new ApiCall(caller, list, Wire.options(options));
    }

    /** SliverStatus's value: the slice's overall v2 state and one entry per sliver. */
    static Map<String, Object> status(Slivers s) {
        List<Object> resources = new ArrayList<>();
        String overall = s.slivers().isEmpty() ? "unknown" : "ready";
        for (SliverStatus x : s.slivers()) {
            String st = v2State(x.operationalStatus());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("geni_urn", x.urn());
            r.put("geni_status", st);
            r.put("geni_error", x.error());
            resources.add(r);
            overall = worse(overall, st);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("geni_urn", s.sliceUrn());
        m.put("geni_status", overall);
        m.put("geni_resources", resources);
        return m;
    }

    static String v2State(String v3) {
        return switch (v3) {
            case "geni_ready", "geni_ready_busy" -> "ready";
            case "geni_failed" -> "failed";
            case "geni_notready", "geni_configuring", "geni_pending_allocation", "geni_stopping" -> "configuring";
            default -> "unknown";
        };
    }

    /** failed beats unknown beats configuring beats ready: the slice is only as ready as its least ready sliver. */
    private static String worse(String a, String b) {
        List<String> order = List.of("ready", "configuring", "unknown", "failed");
        return order.indexOf(a) >= order.indexOf(b) ? a : b;
    }
}
