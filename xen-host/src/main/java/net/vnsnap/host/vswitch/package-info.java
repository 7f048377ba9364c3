/**
 * The host agent's user-level L2 switch: one segment per GENI link, VM ports over UDP, VXLAN-style tunnels
 * between hosts, and per-port snapshot epochs that colour frames so a slice snapshot stays consistent.
 *
 * <p>Threading: all switch state lives on one selector thread. {@link net.vnsnap.host.vswitch.VirtualSwitch}
 * posts every control call to that thread and waits for its answer, so no lock guards the data path.
 */
package net.vnsnap.host.vswitch;
