package net.vnsnap.am.snapshot;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing knobs of the coordinator.
 *
 * @param callTimeout    the longest a short host call (prepare, commit, abort, ping) may take
 * @param takeTimeout    the longest every host together may take to cut and write its images
 * @param restoreTimeout the longest restoring a host's VMs may take
 * @param pollInterval   how often progress is asked of the hosts while they take
 * @param minLead        the least time between choosing a common instant and that instant
 * @param maxLead        the most; a slower host is better refused than waited for
 * @param leadFactor     the lead is this many times the slowest measured round trip, within the bounds above
 */
public record CoordinatorSettings(Duration callTimeout, Duration takeTimeout, Duration restoreTimeout, Duration pollInterval,
        Duration minLead, Duration maxLead, int leadFactor) {

    public CoordinatorSettings {
        Objects.requireNonNull(callTimeout);
        Objects.requireNonNull(takeTimeout);
        Objects.requireNonNull(restoreTimeout);
        Objects.requireNonNull(pollInterval);
        Objects.requireNonNull(minLead);
        Objects.requireNonNull(maxLead);
        if (leadFactor < 1 || minLead.compareTo(maxLead) > 0) {
            throw new IllegalArgumentException("leadFactor must be >= 1 and minLead <= maxLead");
        }
    }

    public static CoordinatorSettings defaults() {
        return new CoordinatorSettings(Duration.ofSeconds(60), Duration.ofMinutes(30), Duration.ofMinutes(10),
                Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofSeconds(5), 4);
    }

    public CoordinatorSettings withPollInterval(Duration d) {
        return new CoordinatorSettings(callTimeout, takeTimeout, restoreTimeout, d, minLead, maxLead, leadFactor);
    }

    public CoordinatorSettings withTimeouts(Duration call, Duration take) {
        return new CoordinatorSettings(call, take, restoreTimeout, pollInterval, minLead, maxLead, leadFactor);
    }

    /** The lead for a common instant given the slowest round trip just measured. */
    Duration leadFor(Duration slowestRoundTrip) {
        Duration lead = slowestRoundTrip.multipliedBy(leadFactor);
        if (lead.compareTo(minLead) < 0) {
            return minLead;
        }
        return lead.compareTo(maxLead) > 0 ? maxLead : lead;
    }
}
