/**
 * Network of Xen domUs: each vif's frames (dom0 side {@code vif<domid>.<devid>}) are relayed, one frame per UDP
 * datagram, between an AF_PACKET socket bound to the vif and the NIC's UDP tunnel to its virtual-switch port, so every
 * frame passes the switch's epoch colouring. {@link net.vnsnap.host.driver.xen.net.PacketLibcRaw} is the raw libc
 * binding; {@link net.vnsnap.host.driver.xen.net.PacketSocket} the only class that uses it.
 */
package net.vnsnap.host.driver.xen.net;
