package net.vnsnap.am.snapshot;

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
     * target's staging area is dropped. Returns the bytes moved.
     */
    static long copy(HostAgent from, HostAgent to, SnapshotPart part) throws HostException {
        long moved = 0;
        try {
            for (PartFile f : part.files()) {
                long off = 0;
                while (off < f.size()) {
                    byte[] data = from.readSnapshotPart(part.snapshotId(), part.vm(), f.path(), off, (int) Math.min(CHUNK, f.size() - off));
                    if (data.length == 0) {
                        throw new HostException(HostException.Reason.CORRUPT_SNAPSHOT, "snapshot " + part.snapshotId() + ": " + f.path()
                                + " of " + part.vm() + " ended after " + off + " of " + f.size() + " bytes");
                    }
                    to.writeImport(part.snapshotId(), part.vm(), f.path(), off, data);
                    off += data.length;
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
}
