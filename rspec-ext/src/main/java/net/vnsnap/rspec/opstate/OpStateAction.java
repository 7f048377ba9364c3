package net.vnsnap.rspec.opstate;

/** An operational action allowed in a state and the state it leads to. */
public record OpStateAction(String name, String next, String description) {
}
