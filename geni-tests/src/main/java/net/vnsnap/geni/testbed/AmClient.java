package net.vnsnap.geni.testbed;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.vnsnap.certs.rpc.SecureXmlRpcClient;
import org.apache.xmlrpc.XmlRpcException;

/** An experimenter's AM API v3 calls on one slice over mutual TLS, with GENI answers unwrapped (a failure names the call). */
public final class AmClient {

    /** A GENI call that did not answer success: the call, its geni_code and output. */
    public static final class CallFailed extends Exception {
        private static final long serialVersionUID = 1L;

        CallFailed(String message) {
            super(message);
        }
    }

    private final SecureXmlRpcClient v3;
    private final String sliceUrn;
    /** The slice credential, already wrapped as a credentials array. */
    private final Object[] creds;

    public AmClient(SecureXmlRpcClient v3, String sliceUrn, String sliceCredential) {
        this.v3 = v3;
        this.sliceUrn = sliceUrn;
        this.creds = LocalTestbed.credentials(sliceCredential);
    }

    public String sliceUrn() {
        return sliceUrn;
    }

    public Map<String, Object> getVersion() throws XmlRpcException, CallFailed {
        return struct(value("GetVersion", v3.call("GetVersion")));
    }

    public Map<String, Object> allocate(String rspec) throws XmlRpcException, CallFailed {
        return struct(value("Allocate", v3.call("Allocate", sliceUrn, creds, rspec, LocalTestbed.options())));
    }

    public Map<String, Object> provision() throws XmlRpcException, CallFailed {
        return struct(value("Provision", v3.call("Provision", urns(), creds, LocalTestbed.options("geni_rspec_version",
                LocalTestbed.GENI3))));
    }

    /** PerformOperationalAction on the whole slice; the value is a struct (plugin actions) or a list of slivers. */
    public Object poa(String action, Map<String, Object> options) throws XmlRpcException, CallFailed {
        return value("PerformOperationalAction " + action, v3.call("PerformOperationalAction", urns(), creds, action, options));
    }

    public List<Map<String, Object>> status() throws XmlRpcException, CallFailed {
        return slivers(value("Status", v3.call("Status", urns(), creds, LocalTestbed.options())));
    }

    /** The manifest RSpec Describe returns. */
    public String describe() throws XmlRpcException, CallFailed {
        return (String) struct(value("Describe", v3.call("Describe", urns(), creds, LocalTestbed.options("geni_rspec_version",
                LocalTestbed.GENI3)))).get("geni_rspec");
    }

    public List<Map<String, Object>> delete() throws XmlRpcException, CallFailed {
        return slivers(value("Delete", v3.call("Delete", urns(), creds, LocalTestbed.options())));
    }

    /** Calls Status until every sliver's operational status is {@code state}; fails with the last answer after {@code timeout}. */
    public List<Map<String, Object>> awaitState(String state, java.time.Duration timeout) throws XmlRpcException, CallFailed,
            InterruptedException {
        return await(java.util.Set.of(state), state, timeout);
    }

    /**
     * Calls Status until every sliver's operational status is one of {@code states} (e.g. ready or failed: no longer
     * busy); fails with the last answer after {@code timeout}.
     */
    public List<Map<String, Object>> awaitAnyOf(java.util.Set<String> states, java.time.Duration timeout) throws XmlRpcException,
            CallFailed, InterruptedException {
        return await(states, "any of " + states, timeout);
    }

    private List<Map<String, Object>> await(java.util.Set<String> states, String what, java.time.Duration timeout) throws XmlRpcException,
            CallFailed, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        List<Map<String, Object>> last = List.of();
        while (System.nanoTime() < end) {
            last = status();
            if (!last.isEmpty() && last.stream().allMatch(x -> states.contains(String.valueOf(x.get("geni_operational_status"))))) {
                return last;
            }
            Thread.sleep(1000);
        }
        throw new CallFailed("the slivers of " + sliceUrn + " did not reach " + what + " within " + timeout + "; last Status: " + last);
    }

    private Object[] urns() {
        return new Object[] {sliceUrn};
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> struct(Object v) {
        return (Map<String, Object>) v;
    }

    /** The slivers of a struct answer ({@code geni_slivers}) or of a bare list. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> slivers(Object v) {
        Object s = v instanceof Map<?, ?> m ? m.get("geni_slivers") : v;
        if (s == null) {
            return List.of();
        }
        return Stream.of((Object[]) s).map(o -> (Map<String, Object>) o).toList();
    }

    private static Object value(String call, Object answer) throws CallFailed {
        Map<String, Object> r = struct(answer);
        Object code = struct(r.get("code")).get("geni_code");
        if (!Integer.valueOf(0).equals(code)) {
            throw new CallFailed(call + " answered geni_code " + code + ": " + r.get("output"));
        }
        return r.get("value");
    }
}
