/** The host agent vnsnap-hostd: hypervisor drivers, the virtual switch, VM snapshot and restore, the local store. */
package net.vnsnap.host;
