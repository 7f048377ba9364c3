package net.vnsnap.am.snapshot;

import java.util.Map;
import java.util.Set;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;

/** Finds the agent of a host by the id the AM placed VMs with. */
@FunctionalInterface
public interface HostDirectory {

    /** The agent for {@code hostId}; throws UNREACHABLE (or BAD_REQUEST for an id the AM does not know). */
    HostAgent host(String hostId) throws HostException;

    /**
     * Every host id the directory knows, when it can list them; a restore looks there for stale copies of moved VMs
     * and a deletion for imported parts. Empty means "unknown", and only the hosts a snapshot names are visited.
     */
    default Set<String> hostIds() {
        return Set.of();
    }

    /** A fixed directory, e.g. built from the AM's configuration. */
    static HostDirectory of(Map<String, ? extends HostAgent> agents) {
        Map<String, HostAgent> copy = Map.copyOf(agents);
        return new HostDirectory() {
            @Override
            public HostAgent host(String id) throws HostException {
                HostAgent a = copy.get(id);
                if (a == null) {
                    throw new HostException(HostException.Reason.BAD_REQUEST, "no host '" + id + "' is configured in this AM");
                }
                return a;
            }

            @Override
            public Set<String> hostIds() {
                return copy.keySet();
            }
        };
    }
}
