package net.vnsnap.am.slice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A slice store in memory, for tests and for an AM run without persistence. */
public final class InMemorySliceStore implements SliceStore {

    private final Map<String, SliceRecord> slices = new ConcurrentHashMap<>();

    @Override
    public Optional<SliceRecord> get(String sliceUrn) {
        return Optional.ofNullable(slices.get(sliceUrn));
    }

    @Override
    public List<SliceRecord> all() {
        return new ArrayList<>(slices.values());
    }

    @Override
    public void put(SliceRecord slice) {
        slices.put(slice.urn(), slice);
    }

    @Override
    public void delete(String sliceUrn) {
        slices.remove(sliceUrn);
    }

    @Override
    public void close() {
    }
}
