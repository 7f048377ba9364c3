package net.vnsnap.certs.rpc;

import java.util.List;

/**
 * The methods served on one URL path. Implementations answer every call with a value the XML-RPC
 * serializer can write (Integer, Boolean, String, List, Map with String keys, byte[]); never null.
 */
public interface RpcEndpoint {

    /** Handles one call; an exception escaping here is answered by {@link #internalError}. */
    Object call(RpcCaller caller, String method, List<Object> params) throws Exception;

    /** The answer to a request that could not be read (malformed, forbidden XML, too large). */
    Object badRequest(String reason);

    /** The answer when {@link #call} threw: must not reveal internals beyond the message. */
    Object internalError(String method, Exception e);
}
