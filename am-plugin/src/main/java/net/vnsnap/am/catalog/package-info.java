/**
 * The durable catalog of slice snapshots: one record per snapshot with its state, cut and totals, every
 * state change in order, and the last epoch of each slice. A small storage interface with an in-memory
 * and an SQLite implementation; JDBC stays in the {@code sqlite} sub-package.
 */
package net.vnsnap.am.catalog;
