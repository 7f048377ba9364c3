package net.vnsnap.am.snapshot;

import java.util.Objects;

/**
 * One failure with the host and VM it concerns.
 *
 * @param failure what went wrong
 * @param host    the host it concerns, "" when none (a catalog or request failure)
 * @param vm      the VM it concerns, "" when the host's message does not single one out
 * @param detail  the host's or catalog's own words
 */
public record SnapshotError(SnapshotFailure failure, String host, String vm, String detail) {
    public SnapshotError {
        Objects.requireNonNull(failure, "failure");
        host = host == null ? "" : host;
        vm = vm == null ? "" : vm;
        detail = detail == null ? "" : detail;
    }

    /** One line: {@code TAKE_FAILED on host h2, VM vm3: <detail>}. */
    public String message() {
        StringBuilder b = new StringBuilder(failure.name());
        if (!host.isEmpty()) {
            b.append(" on host ").append(host);
        }
        if (!vm.isEmpty()) {
            b.append(", VM ").append(vm);
        }
        if (!detail.isEmpty()) {
            b.append(": ").append(detail);
        }
        return b.toString();
    }
}
