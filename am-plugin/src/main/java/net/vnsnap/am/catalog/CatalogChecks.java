package net.vnsnap.am.catalog;

/** The update rules every catalog implementation applies the same way. */
public final class CatalogChecks {
    private CatalogChecks() {
    }

    /**
     * Throws unless {@code next} may replace {@code current}: the record exists, the caller read the stored
     * version, identity fields are unchanged, and a state change is allowed.
     */
    public static void checkUpdate(SliceSnapshotRecord current, SliceSnapshotRecord next) throws CatalogException {
        if (current == null) {
            throw new CatalogException(CatalogException.Reason.NOT_FOUND, "no snapshot '" + next.id() + "'");
        }
        if (current.version() != next.version()) {
            throw new CatalogException(CatalogException.Reason.VERSION_CONFLICT, "snapshot '" + next.id() + "' is at version "
                    + current.version() + ", the update was based on version " + next.version());
        }
        if (!current.slice().equals(next.slice()) || current.epoch() != next.epoch() || current.mode() != next.mode()) {
            throw new CatalogException(CatalogException.Reason.ILLEGAL_TRANSITION,
                    "snapshot '" + next.id() + "': slice, epoch and mode cannot change");
        }
        if (current.state() != next.state() && !current.state().canMoveTo(next.state())) {
            throw new CatalogException(CatalogException.Reason.ILLEGAL_TRANSITION,
                    "snapshot '" + next.id() + "' cannot move from " + current.state() + " to " + next.state());
        }
    }
}
