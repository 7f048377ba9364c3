package net.vnsnap.host.store;

/** No complete snapshot has that id. */
public class NoSuchSnapshotException extends StoreException {
    private static final long serialVersionUID = 1L;

    public NoSuchSnapshotException(String id) {
        super("no complete snapshot '" + id + "' in the store");
    }
}
