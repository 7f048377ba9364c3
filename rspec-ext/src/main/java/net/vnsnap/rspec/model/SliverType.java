package net.vnsnap.rspec.model;

import java.util.List;
import java.util.Optional;

/** The kind of virtual machine a node asks for (sliver_type@name) and its disk image. */
public record SliverType(String name, List<XmlAttr> attrs, List<SliverTypePart> parts, Pos pos) implements NodePart {

    public SliverType {
        attrs = Lists.copy(attrs);
        parts = Lists.copy(parts);
        pos = Lists.pos(pos);
    }

    public static SliverType of(String name, DiskImage image) {
        return new SliverType(name, List.of(), image == null ? List.of() : List.of(image), Pos.NONE);
    }

    /** The recognised kind, with aliases resolved; empty for a type this aggregate does not know. */
    public Optional<SliverKind> kind() {
        return SliverKind.lookup(name);
    }

    public List<DiskImage> diskImages() {
        return Lists.ofType(parts, DiskImage.class);
    }

    public Optional<DiskImage> diskImage() {
        return diskImages().stream().findFirst();
    }
}
