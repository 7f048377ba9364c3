/**
 * The slice snapshot coordinator: two-phase snapshots of every VM of a slice across hosts at one common cut
 * instant, restore at one common resume instant, deletion, and recovery after an AM restart. It talks to hosts
 * only through {@link net.vnsnap.host.api.HostAgent} and remembers everything in a
 * {@link net.vnsnap.am.catalog.SnapshotCatalog}; see docs/snapshot-protocol.md.
 */
package net.vnsnap.am.snapshot;
