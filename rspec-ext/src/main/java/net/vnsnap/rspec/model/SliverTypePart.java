package net.vnsnap.rspec.model;

/** A child of sliver_type: a disk image or an extension. */
public sealed interface SliverTypePart permits DiskImage, AnyElement {
}
