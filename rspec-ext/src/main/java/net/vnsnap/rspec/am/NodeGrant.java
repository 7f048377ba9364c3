package net.vnsnap.rspec.am;

import java.util.List;
import java.util.Map;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.snapshot.SnapshotSettings;

/**
 * What the aggregate assigned to one requested node, for the manifest.
 *
 * @param componentId the host's component URN
 * @param hostname the VM's DNS name (manifest {@code host}), or null
 * @param interfaces grants by interface client_id
 * @param snapshot the settings in force, or null to state the request's own settings with defaults filled in
 */
public record NodeGrant(String sliverId, String componentId, String hostname, List<Login> logins,
        Map<String, InterfaceGrant> interfaces, SnapshotSettings snapshot) {

    public NodeGrant {
        logins = logins == null ? List.of() : List.copyOf(logins);
        interfaces = interfaces == null ? Map.of() : Map.copyOf(interfaces);
    }
}
