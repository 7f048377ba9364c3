package net.vnsnap.am.core;

import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.host.api.HostException;

/**
 * How a host agent's failure is answered to a GENI caller.
 *
 * <table>
 * <caption>HostException reason to geni_code</caption>
 * <tr><td>UNREACHABLE</td><td>UNAVAILABLE 11: the resource exists but cannot be used now; retry later</td></tr>
 * <tr><td>BAD_REQUEST</td><td>BADARGS 1: the request asked for something the host refuses (bad image, name)</td></tr>
 * <tr><td>INSUFFICIENT_STORAGE</td><td>REFUSED 7: the aggregate has no room for it</td></tr>
 * <tr><td>UNSUPPORTED_MODE</td><td>UNSUPPORTED 13</td></tr>
 * <tr><td>NO_SUCH_VM, NO_SUCH_SNAPSHOT</td><td>SEARCHFAILED 12</td></tr>
 * <tr><td>FORBIDDEN</td><td>SERVERERROR 5: the host refused the AM itself, an operator's problem, not the caller's</td></tr>
 * <tr><td>anything else</td><td>ERROR 2</td></tr>
 * </table>
 */
public final class HostErrors {

    private HostErrors() {
    }

    public static GeniCode code(HostException.Reason r) {
        return switch (r) {
            case UNREACHABLE -> GeniCode.UNAVAILABLE;
            case BAD_REQUEST -> GeniCode.BADARGS;
            case INSUFFICIENT_STORAGE -> GeniCode.REFUSED;
            case UNSUPPORTED_MODE -> GeniCode.UNSUPPORTED;
            case NO_SUCH_VM, NO_SUCH_SNAPSHOT -> GeniCode.SEARCHFAILED;
            case FORBIDDEN -> GeniCode.SERVERERROR;
            default -> GeniCode.ERROR;
        };
    }

    /** The GENI error for a failed host call, naming the host and what the AM was doing. */
    public static GeniException toGeni(String host, String doing, HostException e) {
        return new GeniException(code(e.reason()), text(host, doing, e), e);
    }

    /** The text put in geni_error: "host h1: creating VM x: reason (REASON)". */
    public static String text(String host, String doing, HostException e) {
        return "host " + host + ": " + doing + ": " + e.getMessage() + " (" + e.reason() + ")";
    }
}
