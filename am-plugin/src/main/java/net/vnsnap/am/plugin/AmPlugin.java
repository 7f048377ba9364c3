package net.vnsnap.am.plugin;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.vnsnap.am.api.ActionResult;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniException;
import net.vnsnap.rspec.model.RSpec;

/**
 * An extension of the aggregate manager core (such as vnsnap's snapshots): extra operational actions,
 * request checks, manifest and status decorations, and clean-up when a slice goes. The core knows
 * nothing of what a plugin does; see docs/plugin-spi.md.
 */
public interface AmPlugin {

    /** A short name for logs and error messages. */
    String name();

    /**
     * Called once by the core that hosts this plugin, before any other call, with the means to change slices
     * outside a call (for work that outlives the call that started it).
     */
    default void attach(PluginHost host) {
    }

    /** The operational actions this plugin performs, for the advertisement's opstate machine. */
    default List<PluginAction> actions() {
        return List.of();
    }

    /**
     * Performs {@code action} on {@code slivers} (all provisioned, all of {@code slice}), or returns empty
     * when the action is not this plugin's. Called with the slice locked; long work should start here and
     * report progress through sliver states (e.g. READY_BUSY) set with {@link PluginContext#setOperational}.
     */
    default Optional<ActionResult> perform(PluginContext ctx, SliceRecord slice, List<Sliver> slivers, String action,
            Options options) throws GeniException {
        return Optional.empty();
    }

    /** The manifest as Describe, Allocate and Provision return it, with this plugin's additions. */
    default RSpec decorateManifest(SliceRecord slice, RSpec manifest) throws GeniException {
        return manifest;
    }

    /** Extra fields for a sliver's status struct (e.g. snapshot progress); keys should carry the plugin's prefix. */
    default Map<String, Object> sliverStatusExtras(SliceRecord slice, Sliver sliver) {
        return Map.of();
    }

    /** Checks a parsed request before anything is allocated; throw to refuse it (nothing will have changed). */
    default void onAllocate(RSpec request) throws GeniException {
    }

    /** Called after the slice's last sliver is gone (Delete or expiry); release what the plugin keeps for it. */
    default void onDelete(SliceRecord slice) {
    }
}
