package net.vnsnap.rspec.opstate;

import java.util.List;

/** One operational state of a sliver type and the actions allowed from it. */
public record OpStateState(String name, String description, List<OpStateAction> actions) {

    public OpStateState {
        actions = List.copyOf(actions);
    }
}
