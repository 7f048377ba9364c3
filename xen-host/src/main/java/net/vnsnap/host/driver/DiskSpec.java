package net.vnsnap.host.driver;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A virtual disk backed by an image file.
 *
 * @param id     the device's identifier, stable across snapshots (e.g. "disk0")
 * @param image  the image the VM writes to
 * @param format "qcow2" or "raw"; snapshots need the active layer to be qcow2-capable
 * @param readOnly the guest sees a read-only disk (e.g. a cloud-init seed); snapshots treat it like any disk
 */
public record DiskSpec(String id, Path image, String format, boolean readOnly) {
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]{0,15}");

    public DiskSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("disk id '" + id + "' must match " + ID.pattern());
        }
        Objects.requireNonNull(image, "image");
        if (!"qcow2".equals(format) && !"raw".equals(format)) {
            throw new IllegalArgumentException("disk format must be qcow2 or raw, got " + format);
        }
    }

    /** A disk the guest may write. */
    public DiskSpec(String id, Path image, String format) {
        this(id, image, format, false);
    }

    public DiskSpec withImage(Path newImage, String newFormat) {
        return new DiskSpec(id, newImage, newFormat, readOnly);
    }
}
