/** The VXLAN-layout encapsulation between switches on different hosts, with the sender's snapshot epoch. */
package net.vnsnap.host.vswitch.tunnel;
