package net.vnsnap.host.api;

import java.time.Instant;
import net.vnsnap.host.driver.VmState;

/**
 * A VM on a host as the AM sees it.
 *
 * @param name          the VM's name on the host
 * @param slice         its slice
 * @param state         running, paused, ...
 * @param restoredFrom  the snapshot it was restored from, or "" when created fresh
 * @param consoleLog    the path of its serial console log on the host, or ""
 * @param ssh           where its guest's SSH server is reachable now (a restore may move it), or null for a VM
 *                      without guest access
 * @param resumedAt     in an answer of {@link HostAgent#resumeRestored}: the host's wall-clock instant taken right after
 *                      the hypervisor's resume of this VM returned; null elsewhere, and null from agents that do not
 *                      measure it (unknown)
 */
public record VmInfo(String name, String slice, VmState state, String restoredFrom, String consoleLog, SshEndpoint ssh,
        Instant resumedAt) {

    /** A VM without a resume measurement. */
    public VmInfo(String name, String slice, VmState state, String restoredFrom, String consoleLog, SshEndpoint ssh) {
        this(name, slice, state, restoredFrom, consoleLog, ssh, null);
    }

    /** A VM without guest access. */
    public VmInfo(String name, String slice, VmState state, String restoredFrom, String consoleLog) {
        this(name, slice, state, restoredFrom, consoleLog, null, null);
    }

    /** This answer with the instant the VM resumed. */
    public VmInfo withResumedAt(Instant at) {
        return new VmInfo(name, slice, state, restoredFrom, consoleLog, ssh, at);
    }
}
