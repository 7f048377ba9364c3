package net.vnsnap.rspec.model;

/** A child of the rspec root: a node, a link, or any other element kept as it was. */
public sealed interface RSpecPart permits Node, Link, AnyElement {
}
