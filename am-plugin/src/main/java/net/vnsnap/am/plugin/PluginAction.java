package net.vnsnap.am.plugin;

import java.util.Objects;

/**
 * One operational action a plugin adds, as the advertisement's opstate machine shows it.
 *
 * @param name        the action name clients pass to PerformOperationalAction, e.g. {@code vnsnap_snapshot}
 * @param fromState   the operational state (wire name) the action may be taken from, e.g. {@code geni_ready}
 * @param nextState   the state the sliver goes to, e.g. {@code geni_ready_busy}
 * @param description one sentence for people reading the advertisement
 */
public record PluginAction(String name, String fromState, String nextState, String description) {
    public PluginAction {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fromState, "fromState");
        Objects.requireNonNull(nextState, "nextState");
    }
}
