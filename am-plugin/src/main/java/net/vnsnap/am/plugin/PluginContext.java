package net.vnsnap.am.plugin;

import java.time.Clock;
import java.util.List;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.core.AmPolicy;
import net.vnsnap.am.core.HostRegistry;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniException;

/**
 * What the AM core lends a plugin during one call: its hosts, clock and policy, and the only way to change
 * sliver states (so they are stored as the core stores them). Valid only during the call it was given for;
 * the call holds the slice's lock.
 */
public interface PluginContext {

    HostRegistry hosts();

    Clock clock();

    AmPolicy policy();

    /** The caller's URN (the user, when a tool speaks for one). */
    String actor();

    /**
     * Sets the operational state and error text of some slivers of the call's slice and stores the slice at
     * once; returns the stored record. Unknown sliver URNs are a BADARGS error.
     */
    SliceRecord setOperational(List<String> sliverUrns, OperationalState state, String error) throws GeniException;

    /** A sliver's status struct as the core reports it (with every plugin's extras). */
    SliverStatus status(Sliver sliver);
}
