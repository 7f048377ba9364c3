package net.vnsnap.host.driver.xen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the Xen driver runs domUs on this dom0.
 *
 * @param guestType        PVH (default), PV or AUTO; see {@link GuestType}
 * @param runDirectory     the vif script, per-VM directories with disk copies
 * @param consoleDirectory where xenconsoled ({@code --log=guest}) writes {@code guest-<name>.log}, or null
 * @param logLevel         libxl's log level on stderr: debug, info, warn or error
 * @param watchInterval    how often the snapshot watcher asks Xen whether the domain has suspended (the cut's precision)
 * @param relayPoll        how long a vif relay's receive waits before it checks for a stop
 */
public record XenConfig(GuestType guestType, Path runDirectory, Path consoleDirectory, String logLevel, Duration watchInterval,
                        Duration relayPoll) {
    public XenConfig {
        Objects.requireNonNull(guestType, "guestType");
        Objects.requireNonNull(runDirectory, "runDirectory");
        logLevel = logLevel == null ? "info" : logLevel;
        if (!java.util.Set.of("debug", "info", "warn", "error").contains(logLevel)) {
            throw new IllegalArgumentException("xen.log.level must be debug, info, warn or error, got '" + logLevel + "'");
        }
        watchInterval = watchInterval == null ? Duration.ofMillis(1) : watchInterval;
        relayPoll = relayPoll == null ? Duration.ofMillis(200) : relayPoll;
    }

    /** PVH guests, Debian's xenconsoled log directory, info logging. */
    public static XenConfig defaults(Path runDirectory) {
        return new XenConfig(GuestType.PVH, runDirectory, Path.of("/var/log/xen/console"), "info", null, null);
    }

    int xtlLevel() {
        return switch (logLevel) {
            case "debug" -> net.vnsnap.host.driver.xen.libxl.XenToolLogRaw.XTL_DEBUG;
            case "warn" -> net.vnsnap.host.driver.xen.libxl.XenToolLogRaw.XTL_WARN;
            case "error" -> net.vnsnap.host.driver.xen.libxl.XenToolLogRaw.XTL_ERROR;
            default -> net.vnsnap.host.driver.xen.libxl.XenToolLogRaw.XTL_INFO;
        };
    }
}
