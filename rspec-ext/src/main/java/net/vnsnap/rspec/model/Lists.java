package net.vnsnap.rspec.model;

import java.util.ArrayList;
import java.util.List;

/** Small list helpers shared by the model records. */
final class Lists {
    private Lists() {
    }

    static <T> List<T> copy(List<T> in) {
        return in == null ? List.of() : List.copyOf(in);
    }

    static <T> List<T> ofType(List<?> in, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Object o : in) {
            if (type.isInstance(o)) {
                out.add(type.cast(o));
            }
        }
        return out;
    }

    static Pos pos(Pos p) {
        return p == null ? Pos.NONE : p;
    }
}
