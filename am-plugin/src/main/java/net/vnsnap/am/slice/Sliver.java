package net.vnsnap.am.slice;

import java.time.Instant;
import java.util.Objects;

/**
 * One VM sliver of a slice.
 *
 * @param urn          the sliver URN the AM gave it
 * @param sliceUrn     its slice
 * @param clientId     the request node's client_id
 * @param host         the host agent it is placed on
 * @param vmName       the VM's name on that host
 * @param allocation   allocated, provisioned, unallocated
 * @param operational  notready, ready, ready_busy, ...
 * @param expires      when the AM reclaims it
 * @param error        the last failure, "" when none
 */
public record Sliver(String urn, String sliceUrn, String clientId, String host, String vmName, AllocationState allocation,
        OperationalState operational, Instant expires, String error) {

    public Sliver {
        Objects.requireNonNull(urn, "urn");
        Objects.requireNonNull(sliceUrn, "sliceUrn");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(allocation, "allocation");
        Objects.requireNonNull(operational, "operational");
        Objects.requireNonNull(expires, "expires");
        error = error == null ? "" : error;
    }

    public Sliver with(AllocationState a, OperationalState o) {
        return new Sliver(urn, sliceUrn, clientId, host, vmName, a, o, expires, "");
    }

    public Sliver withOperational(OperationalState o, String err) {
        return new Sliver(urn, sliceUrn, clientId, host, vmName, allocation, o, expires, err);
    }

    /** The same sliver with its VM on another host (a restore moved it there). */
    public Sliver withHost(String newHost) {
        return new Sliver(urn, sliceUrn, clientId, newHost, vmName, allocation, operational, expires, error);
    }

    public Sliver withExpires(Instant t) {
        return new Sliver(urn, sliceUrn, clientId, host, vmName, allocation, operational, t, error);
    }
}
