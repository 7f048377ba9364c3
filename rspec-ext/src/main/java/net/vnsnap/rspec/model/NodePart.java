package net.vnsnap.rspec.model;

/** A child of a node, in document order. */
public sealed interface NodePart permits SliverType, HardwareType, Interface, Services, Location, Host, AnyElement {
}
