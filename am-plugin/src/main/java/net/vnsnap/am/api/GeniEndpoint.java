package net.vnsnap.am.api;

import java.util.List;
import java.util.Map;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.rpc.RpcCaller;
import net.vnsnap.certs.rpc.RpcEndpoint;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The boundary every AM API version shares: each method's outcome — result, GENI failure, bug — becomes
 * a {@code {code, value, output}} struct; nothing escapes as an XML-RPC fault.
 */
public abstract class GeniEndpoint implements RpcEndpoint {

    private static final Logger LOG = LogManager.getLogger(GeniEndpoint.class);

    /** "v2" or "v3", for logs and messages. */
    private final String version;

    protected GeniEndpoint(String version) {
        this.version = version;
    }

    /** Decodes the parameters of one method and calls the AM; throws GeniException for any refusal. */
    protected abstract Object dispatch(RpcCaller caller, String method, List<Object> params) throws GeniException;

    @Override
    public final Object call(RpcCaller caller, String method, List<Object> params) {
        try {
            return dispatch(caller, method, params);
        } catch (GeniException e) {
            LOG.info("{} {} by {}: {} {}", version, method, caller.urn(), e.code(), e.getMessage());
            return GeniResponse.error(e.code(), e.getMessage()).toWire();
        } catch (RuntimeException e) {
            return internalError(method, e);
        }
    }

    @Override
    public final Object badRequest(String reason) {
        return GeniResponse.error(GeniCode.BADARGS, reason).toWire();
    }

    @Override
    public final Object internalError(String method, Exception e) {
        LOG.error("{} {} failed", version, method, e);
        return GeniResponse.error(GeniCode.SERVERERROR, method + " failed inside the aggregate manager: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())).toWire();
    }

    protected static Map<String, Object> ok(Object value) {
        return GeniResponse.success(value).toWire();
    }

    /** Throws BADARGS naming the method's signature unless exactly {@code n} parameters came. */
    protected static void expect(List<Object> p, int n, String method, String signature) throws GeniException {
        if (p.size() != n) {
            throw usage(method, signature);
        }
    }

    protected static GeniException usage(String method, String signature) {
        return new GeniException(GeniCode.BADARGS, method + " takes " + signature);
    }

    /** GetVersion's answer: the value plus the top-level geni_api that v1 clients read. */
    protected static Map<String, Object> version(Map<String, Object> value, int api) {
        Map<String, Object> wire = ok(value);
        wire.put("geni_api", api);
        return wire;
    }
}
