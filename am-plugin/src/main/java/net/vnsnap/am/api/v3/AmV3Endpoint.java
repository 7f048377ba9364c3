package net.vnsnap.am.api.v3;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.am.api.GeniEndpoint;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.api.RSpecVersions;
import net.vnsnap.am.api.Wire;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.rpc.RpcCaller;

/**
 * AM API v3 on the wire: decodes each method's parameters, checks their types and the options the API
 * requires, calls {@link AmApiV3}, and answers every outcome as {@code {code, value, output}}.
 */
public final class AmV3Endpoint extends GeniEndpoint {

    private final AmApiV3 api;

    public AmV3Endpoint(AmApiV3 api) {
        super("v3");
        this.api = api;
    }

    @Override
    protected Object dispatch(RpcCaller caller, String method, List<Object> p) throws GeniException {
        switch (method) {
            case "GetVersion": {
                if (p.size() > 1) {
                    throw usage(method, "([options])");
                }
                return version(api.getVersion(Wire.options(p.isEmpty() ? null : p.get(0))), 3);
            }
            case "ListResources": {
                expect(p, 2, method, "(credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(0)), Wire.options(p.get(1)));
                RSpecVersions.requireGeni3(call.options(), RSpecVersions.Kind.ADVERTISEMENT);
                String rspec = api.listResources(call);
                return ok(call.options().bool("geni_compressed", false) ? Wire.compress(rspec) : rspec);
            }
            case "Allocate": {
                expect(p, 4, method, "(slice_urn, credentials, rspec, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(3)));
                return ok(api.allocate(call, Wire.string(p.get(0), "slice_urn"), Wire.string(p.get(2), "rspec"))
                        .toWire(true, false, false));
            }
            case "Provision": {
                expect(p, 3, method, "(urns, credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(2)));
                RSpecVersions.requireGeni3(call.options(), RSpecVersions.Kind.MANIFEST);
                return ok(api.provision(call, Wire.urns(p.get(0))).toWire(true, false, false));
            }
            case "Status": {
                expect(p, 3, method, "(urns, credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(2)));
                return ok(api.status(call, Wire.urns(p.get(0))).toWire(false, true, false));
            }
            case "Describe": {
                expect(p, 3, method, "(urns, credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(2)));
                RSpecVersions.requireGeni3(call.options(), RSpecVersions.Kind.MANIFEST);
                return ok(api.describe(call, Wire.urns(p.get(0)))
                        .toWire(true, true, call.options().bool("geni_compressed", false)));
            }
            case "Renew": {
                expect(p, 4, method, "(urns, credentials, expiration_time, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(3)));
                Instant until = Wire.parseTime(p.get(2), "expiration_time");
                return ok(net.vnsnap.am.api.Slivers.wireList(api.renew(call, Wire.urns(p.get(0)), until)));
            }
            case "PerformOperationalAction": {
                expect(p, 4, method, "(urns, credentials, action, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(3)));
                String action = Wire.string(p.get(2), "action");
                if (action.isBlank()) {
                    throw new GeniException(GeniCode.BADARGS, "action is empty");
                }
                return ok(api.performOperationalAction(call, Wire.urns(p.get(0)), action).toWire());
            }
            case "Delete": {
                expect(p, 3, method, "(urns, credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(2)));
                return ok(net.vnsnap.am.api.Slivers.wireList(api.delete(call, Wire.urns(p.get(0)))));
            }
            case "Shutdown": {
                expect(p, 3, method, "(slice_urn, credentials, options)");
                ApiCall call = new ApiCall(caller, Wire.credentials(p.get(1)), Wire.options(p.get(2)));
                api.shutdown(call, Wire.string(p.get(0), "slice_urn"));
                return ok(Boolean.TRUE);
            }
            default:
                throw new GeniException(GeniCode.UNSUPPORTED, "method " + method + " is not part of AM API v3");
        }
    }
}
