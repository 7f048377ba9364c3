package net.vnsnap.am.plugin;

import java.util.List;
import java.util.Optional;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.certs.GeniException;

/**
 * What the AM core lends a plugin for its whole life, so background work (a snapshot finishing, a periodic
 * snapshot falling due) can change sliver states the way a call does: under the slice's lock, stored at once.
 */
public interface PluginHost {

    /** Work on one slice under its lock; {@code ctx} is valid only until {@code run} returns. */
    @FunctionalInterface
    interface SliceWork<T> {
        T run(PluginContext ctx, SliceRecord slice) throws GeniException;
    }

    /**
     * Runs {@code work} on the slice as a PerformOperationalAction would (its lock held, the context's actor being
     * the AM itself); empty when the slice has no slivers here any more. Never call it while holding a lock of
     * your own that a plugin call might wait for: the core takes the slice lock first.
     */
    <T> Optional<T> withSlice(String sliceUrn, SliceWork<T> work) throws GeniException;

    /** The URNs of every slice with slivers here, for periodic work. */
    List<String> sliceUrns() throws GeniException;
}
