package net.vnsnap.am.plugin;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.core.AmPolicy;
import net.vnsnap.am.core.HostRegistry;
import net.vnsnap.am.slice.OperationalState;
import net.vnsnap.am.slice.SliceRecord;
import net.vnsnap.am.slice.Sliver;
import net.vnsnap.certs.GeniCode;
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

    /**
     * Records that the VMs of some slivers of the call's slice now run on other hosts (a restore moved them), so
     * Status, Describe's host and Delete act there; stores the slice at once and returns the stored record. The slice's
     * segments are removed from hosts left without a VM of the slice. Unknown sliver URNs or hosts are BADARGS.
     */
    default SliceRecord moveSlivers(Map<String, String> hostBySliverUrn) throws GeniException {
        throw new GeniException(GeniCode.UNSUPPORTED, "this aggregate cannot move slivers between hosts");
    }

    /** A sliver's status struct as the core reports it (with every plugin's extras). */
    SliverStatus status(Sliver sliver);
}
