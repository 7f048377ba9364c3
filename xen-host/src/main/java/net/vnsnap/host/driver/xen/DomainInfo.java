package net.vnsnap.host.driver.xen;

/**
 * What libxl reports about one domain (from {@code libxl_dominfo}).
 *
 * @param domid          the domain id
 * @param running        on a CPU now
 * @param blocked        waiting for an event
 * @param paused         paused by the toolstack
 * @param shutdown       shut down (including suspended) but not yet destroyed
 * @param dying          being destroyed
 * @param shutdownReason libxl's name of the shutdown reason ("suspend", "crash", ...), "" if none
 * @param maxMemKb       the domain's memory limit
 */
record DomainInfo(int domid, boolean running, boolean blocked, boolean paused, boolean shutdown, boolean dying,
                  String shutdownReason, long maxMemKb) {

    /** Suspended by a save: shut down with reason suspend, waiting for resume or destroy. */
    boolean suspended() {
        return shutdown && "suspend".equals(shutdownReason);
    }
}
