package net.vnsnap.rspec.model;

/** A child of a link, in document order. */
public sealed interface LinkPart permits ComponentManager, InterfaceRef, LinkProperty, LinkType, AnyElement {
}
