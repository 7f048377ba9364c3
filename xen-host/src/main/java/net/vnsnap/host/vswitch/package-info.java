/**
 * The host agent's user-level L2 switch: one segment per GENI link, VM ports over UDP, VXLAN-style tunnels
 * between hosts, and per-port snapshot epochs that colour frames so a slice snapshot stays consistent.
 *
 */
package net.vnsnap.host.vswitch;
