/** Ethernet header helpers and the pre-allocated frame pool that holds and records frames without garbage. */
package net.vnsnap.host.vswitch.frame;
