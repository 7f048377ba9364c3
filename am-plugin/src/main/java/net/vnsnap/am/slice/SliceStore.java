package net.vnsnap.am.slice;

import java.util.List;
import java.util.Optional;

/**
 * Durable storage of the AM's slices: every {@link #put} replaces a slice with its slivers atomically,
 * so a restart finds each slice exactly as it was after its last completed change.
 */
public interface SliceStore extends AutoCloseable {

    Optional<SliceRecord> get(String sliceUrn) throws StoreFailure;

    List<SliceRecord> all() throws StoreFailure;

    /** Writes the slice and all its slivers in one transaction. */
    void put(SliceRecord slice) throws StoreFailure;

    /** Removes the slice and its slivers; unknown: no-op. */
    void delete(String sliceUrn) throws StoreFailure;

    @Override
    void close();

    /** The store could not read or write; nothing was changed by the failed call. */
    final class StoreFailure extends Exception {
        private static final long serialVersionUID = 1L;

        public StoreFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
