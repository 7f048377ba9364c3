package net.vnsnap.rspec.am;

import java.util.List;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Location;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.snapshot.SnapshotCapability;

/**
 * One host as an advertisement shows it: its component URN and name, whether it has room now, the sliver
 * kinds and images it runs, its hardware type and location, and its snapshot capability.
 *
 * @param defaultImage the image name marked {@code default="true"}, or null
 * @param location null, or a location with a country (the PG v2 ad schema requires one)
 */
public record HostOffer(String componentId, String componentName, boolean available, List<SliverKind> sliverKinds,
        List<DiskImage> images, String defaultImage, String hardwareType, Location location,
        SnapshotCapability capability) {

    public HostOffer {
        if (componentId == null) {
            throw new IllegalArgumentException("a host needs a component_id URN");
        }
        sliverKinds = List.copyOf(sliverKinds);
        images = List.copyOf(images);
        if (location != null && location.country() == null) {
            throw new IllegalArgumentException("an advertised location needs a country");
        }
    }
}
