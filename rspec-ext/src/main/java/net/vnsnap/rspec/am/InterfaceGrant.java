package net.vnsnap.rspec.am;

import net.vnsnap.rspec.model.Ip;

/** What the aggregate assigned to one requested interface: sliver URN, MAC address, and an IP if none was asked. */
public record InterfaceGrant(String sliverId, String macAddress, Ip ip) {
}
