package net.vnsnap.am.snapshot;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import net.vnsnap.host.api.HostAgent;
import net.vnsnap.host.api.HostException;
import net.vnsnap.host.api.PartFile;
import net.vnsnap.host.api.SnapshotPart;

/**
 * Streams one VM's snapshot part from the host holding it to the host it moves to, through the AM, in chunks over the
 * two agents' own (mutual-TLS) channels; the target checks sizes and checksums and publishes the part atomically.
 */
final class PartCopy {

    /** Bytes per read and write: well below the agents' request limit once base64-encoded. */
    static final int CHUNK = 2 << 20;

    private PartCopy() {
    }

    /**
     * Copies every file of a part whose import the target has begun, then finishes the import; on any failure the
     * target's staging area is dropped. Returns the bytes moved. The next chunk is read from the source on
     * {@code readAhead} while the current one is written to the target, so the two hosts' encoding and decoding overlap.
     */
    static long copy(HostAgent from, HostAgent to, SnapshotPart part, Executor readAhead) throws HostException {
        long moved = 0;
        try {
            for (PartFile f : part.files()) {
                long off = 0;
                CompletableFuture<byte[]> next = f.size() == 0 ? null : read(from, part, f, 0, readAhead);
                while (next != null) {
                    byte[] data = await(next);
                    if (data.length == 0) {
                        throw new HostException(HostException.Reason.CORRUPT_SNAPSHOT, "snapshot " + part.snapshotId() + ": " + f.path()
                                + " of " + part.vm() + " ended after " + off + " of " + f.size() + " bytes");
                    }
                    long after = off + data.length;
                    next = after < f.size() ? read(from, part, f, after, readAhead) : null;
                    to.writeImport(part.snapshotId(), part.vm(), f.path(), off, data);
                    off = after;
                    moved += data.length;
                }
            }
            to.finishImport(part.snapshotId(), part.vm());
            return moved;
        } catch (HostException | RuntimeException e) {
            try {
                to.abortImport(part.snapshotId(), part.vm());
            } catch (HostException x) {
                e.addSuppressed(x);
            }
            throw e;
        }
    }

    private static CompletableFuture<byte[]> read(HostAgent from, SnapshotPart part, PartFile f, long off, Executor readAhead) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return from.readSnapshotPart(part.snapshotId(), part.vm(), f.path(), off, (int) Math.min(CHUNK, f.size() - off));
            } catch (HostException e) {
                throw new CompletionException(e);
            }
        }, readAhead);
    }

    private static byte[] await(CompletableFuture<byte[]> f) throws HostException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof HostException h) {
                throw h;
            }
            throw new HostException(HostException.Reason.INTERNAL, "reading a snapshot part failed: " + e.getCause(), e.getCause());
        }
    }
}
