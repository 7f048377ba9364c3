package net.vnsnap.am.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;

/** The hosts this aggregate manager places VMs on, by the ids the operator gave them. */
public interface HostRegistry {

    /** Every configured host id, in configuration order. */
    List<String> hostIds();

    /** The agent of a host; an unknown id is a BAD_REQUEST, a host that cannot be reached may be UNREACHABLE. */
    HostAgent agent(String id) throws HostException;

    /** A fixed registry over agents already built (in-process agents, proxies, test fakes). */
    static HostRegistry of(Map<String, HostAgent> agents) {
        Map<String, HostAgent> copy = new LinkedHashMap<>(agents);
        List<String> ids = List.copyOf(copy.keySet());
        return new HostRegistry() {
            @Override
            public List<String> hostIds() {
                return ids;
            }

            @Override
            public HostAgent agent(String id) throws HostException {
                HostAgent a = copy.get(id);
                if (a == null) {
                    throw new HostException(HostException.Reason.BAD_REQUEST, "no host '" + id + "' is configured here");
                }
                return a;
            }
        };
    }
}
