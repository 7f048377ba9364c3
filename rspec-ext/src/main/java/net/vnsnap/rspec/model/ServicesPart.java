package net.vnsnap.rspec.model;

/** A child of services: a login, or anything else (install, execute, extensions) kept as it was. */
public sealed interface ServicesPart permits Login, AnyElement {
}
