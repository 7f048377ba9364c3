package net.vnsnap.rspec.model;

/** A child of an interface: an IP address or an extension. */
public sealed interface InterfacePart permits Ip, AnyElement {
}
