package net.vnsnap.am.slice;

/** The contract on the in-memory store. */
class InMemorySliceStoreTest extends SliceStoreContract {
    @Override
    protected SliceStore newStore() {
        return new InMemorySliceStore();
    }
}
