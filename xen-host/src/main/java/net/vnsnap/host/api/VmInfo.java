package net.vnsnap.host.api;

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
 */
public record VmInfo(String name, String slice, VmState state, String restoredFrom, String consoleLog, SshEndpoint ssh) {

    /** A VM without guest access. */
    public VmInfo(String name, String slice, VmState state, String restoredFrom, String consoleLog) {
        this(name, slice, state, restoredFrom, consoleLog, null);
    }
}
