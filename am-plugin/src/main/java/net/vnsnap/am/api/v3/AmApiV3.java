package net.vnsnap.am.api.v3;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.ActionResult;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.am.api.Options;
import net.vnsnap.am.api.SliverStatus;
import net.vnsnap.am.api.Slivers;
import net.vnsnap.certs.GeniException;

/**
 * GENI AM API v3, typed: what the wire endpoint calls after decoding parameters. Failures are
 * GeniExceptions carrying their geni_code; the endpoint turns them into answers, never faults.
 */
public interface AmApiV3 {

    /** The value struct of GetVersion (the endpoint adds the top-level geni_api). */
    Map<String, Object> getVersion(Options options) throws GeniException;

    /** The advertisement RSpec (the endpoint compresses it when asked). */
    String listResources(ApiCall call) throws GeniException;

    Slivers allocate(ApiCall call, String sliceUrn, String requestRspec) throws GeniException;

    Slivers provision(ApiCall call, List<String> urns) throws GeniException;

    Slivers status(ApiCall call, List<String> urns) throws GeniException;

    Slivers describe(ApiCall call, List<String> urns) throws GeniException;

    List<SliverStatus> renew(ApiCall call, List<String> urns, Instant expiration) throws GeniException;

    ActionResult performOperationalAction(ApiCall call, List<String> urns, String action) throws GeniException;

    List<SliverStatus> delete(ApiCall call, List<String> urns) throws GeniException;

    void shutdown(ApiCall call, String sliceUrn) throws GeniException;
}
