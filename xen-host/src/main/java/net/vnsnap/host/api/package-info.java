/**
 * The host agent's contract with the AM: segments, VMs, and the two-phase snapshot and restore of the
 * VMs on one host. Plain records only, so the in-process agent and its XML-RPC proxy carry the same types.
 */
package net.vnsnap.host.api;
