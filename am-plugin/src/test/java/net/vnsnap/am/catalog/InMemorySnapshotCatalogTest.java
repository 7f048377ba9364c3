package net.vnsnap.am.catalog;

/** Runs the catalog contract against the in-memory catalog. */
class InMemorySnapshotCatalogTest extends SnapshotCatalogContract {
    @Override
    protected SnapshotCatalog newCatalog() {
        return new InMemorySnapshotCatalog();
    }
}
