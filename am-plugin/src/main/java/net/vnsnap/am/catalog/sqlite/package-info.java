/** The SQLite implementation of the snapshot catalog: the only package of the AM that touches JDBC. */
package net.vnsnap.am.catalog.sqlite;
