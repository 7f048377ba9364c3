package net.vnsnap.am.core;

import java.time.Duration;
import java.util.Objects;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;
import net.vnsnap.host.vswitch.ColourPolicy;
import net.vnsnap.rspec.validate.AggregateProfile;

/**
 * The operator's choices for this aggregate manager.
 *
 * @param amUrn            this AM's URN, e.g. {@code urn:publicid:IDN+vnsnap:local+authority+am}; its authority
 *                         names nodes and slivers
 * @param allocationLease  how long an allocated, unprovisioned sliver is held (GENI convention: 10 minutes)
 * @param maxLease         the longest a sliver may live from now (Provision, Renew)
 * @param memoryMiB        guest RAM of every VM
 * @param vcpus            virtual CPUs of every VM
 * @param defaultImage     the image VMs get when the request names none
 * @param colourPolicy     how slice segments treat frames crossing a snapshot cut
 * @param firstVni         the lowest tunnel VNI handed to slice links (lower ones stay free for the operator)
 * @param profile          what requests may ask for (sliver kinds, snapshot modes)
 */
public record AmPolicy(String amUrn, Duration allocationLease, Duration maxLease, int memoryMiB, int vcpus, String defaultImage,
        ColourPolicy colourPolicy, int firstVni, AggregateProfile profile) {

    public AmPolicy {
        Objects.requireNonNull(amUrn, "amUrn");
        try {
            GeniUrn u = GeniUrn.parse(amUrn);
            if (!u.isType("authority")) {
                throw new IllegalArgumentException("the AM URN " + amUrn + " must be of type authority");
            }
        } catch (InvalidUrnException e) {
            throw new IllegalArgumentException("the AM URN is invalid: " + e.getMessage(), e);
        }
        Objects.requireNonNull(allocationLease, "allocationLease");
        Objects.requireNonNull(maxLease, "maxLease");
        Objects.requireNonNull(defaultImage, "defaultImage");
        Objects.requireNonNull(colourPolicy, "colourPolicy");
        Objects.requireNonNull(profile, "profile");
        if (memoryMiB < 16 || vcpus < 1) {
            throw new IllegalArgumentException("VMs need at least 16 MiB and one vCPU");
        }
        if (firstVni < 1 || firstVni > 0xFFFFFF) {
            throw new IllegalArgumentException("firstVni must be 1..16777215");
        }
    }

    /** The defaults: 10-minute allocations, 7-day leases, 128 MiB single-vCPU VMs, hold-and-record colouring. */
    public static AmPolicy defaults(String amUrn, String defaultImage) {
        return new AmPolicy(amUrn, Duration.ofMinutes(10), Duration.ofDays(7), 128, 1, defaultImage,
                ColourPolicy.HOLD_AND_RECORD, 4096, AggregateProfile.defaults());
    }

    /** The authority slivers and nodes are named under: the AM URN's authority. */
    public String authority() {
        try {
            return GeniUrn.parse(amUrn).authority();
        } catch (InvalidUrnException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The component URN of a host: {@code urn:publicid:IDN+<authority>+node+<hostId>}. */
    public String nodeUrn(String hostId) {
        return GeniUrn.PREFIX + authority() + "+node+" + hostId;
    }
}
