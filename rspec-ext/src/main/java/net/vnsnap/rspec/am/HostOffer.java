package net.vnsnap.rspec.am;

import java.util.List;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Location;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.snapshot.SnapshotCapability;

/**
 * One host as an advertisement shows it: its component URN and name, whether it has room now, the sliver
 * kinds and images it runs, its hardware type and location, and its snapshot capability.
 *
 * @param defaultImage the image name marked {@code default="true"}, or null
 * @param location null, or a location with a country (the PG v2 ad schema requires one)
 * @param login    how experimenters log in to VMs on this host, advertised as {@code services/login}: its
 *                 {@code authentication} (e.g. "ssh-keys") and optionally the {@code hostname} they connect to;
 *                 the port (and user name) differ per VM and come in the manifest; null when VMs offer no login
 */
public record HostOffer(String componentId, String componentName, boolean available, List<SliverKind> sliverKinds,
        List<DiskImage> images, String defaultImage, String hardwareType, Location location,
        SnapshotCapability capability, Login login) {

    /** A host whose VMs offer no login service. */
    public HostOffer(String componentId, String componentName, boolean available, List<SliverKind> sliverKinds,
            List<DiskImage> images, String defaultImage, String hardwareType, Location location,
            SnapshotCapability capability) {
        this(componentId, componentName, available, sliverKinds, images, defaultImage, hardwareType, location, capability, null);
    }

    public HostOffer {
        if (componentId == null) {
            throw new IllegalArgumentException("a host needs a component_id URN");
        }
        sliverKinds = List.copyOf(sliverKinds);
        images = List.copyOf(images);
        if (location != null && location.country() == null) {
            throw new IllegalArgumentException("an advertised location needs a country");
        }
        if (login != null && (login.authentication() == null || login.username() != null || login.port() != null)) {
            // The PG v2 ad schema requires authentication and has no username; a port would be wrong for all but one VM.
            throw new IllegalArgumentException("an advertised login has an authentication, perhaps a hostname, and no port or username");
        }
    }
}
