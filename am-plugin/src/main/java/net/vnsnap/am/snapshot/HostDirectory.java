package net.vnsnap.am.snapshot;

import java.util.Map;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;

/** Finds the agent of a host by the id the AM placed VMs with. */
@FunctionalInterface
public interface HostDirectory {

    /** The agent for {@code hostId}; throws UNREACHABLE (or BAD_REQUEST for an id the AM does not know). */
    HostAgent host(String hostId) throws HostException;

    /** A fixed directory, e.g. built from the AM's configuration. */
    static HostDirectory of(Map<String, ? extends HostAgent> agents) {
        Map<String, HostAgent> copy = Map.copyOf(agents);
        return id -> {
            HostAgent a = copy.get(id);
            if (a == null) {
                throw new HostException(HostException.Reason.BAD_REQUEST, "no host '" + id + "' is configured in this AM");
            }
            return a;
        };
    }
}
