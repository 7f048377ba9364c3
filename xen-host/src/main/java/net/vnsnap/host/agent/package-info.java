/** The in-process host agent: segments, VMs and the two-phase slice snapshot and restore on one host. */
package net.vnsnap.host.agent;
