package net.vnsnap.rspec.model;

import java.util.List;

/** The disk image of a sliver, named by URN or by a short name (disk_image@name, os, version, description). */
public record DiskImage(String name, String os, String version, String description, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements SliverTypePart {

    public DiskImage {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    public static DiskImage of(String name) {
        return new DiskImage(name, null, null, null, List.of(), List.of(), Pos.NONE);
    }

    /** The name read as an image URN or short name; throws IllegalArgumentException when it is neither. */
    public DiskImageRef ref() {
        return DiskImageRef.parse(name);
    }
}
