package net.vnsnap.host.driver.qemu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A QEMU release number. */
record QemuVersion(int major, int minor, int micro) implements Comparable<QemuVersion> {

    private static final Pattern VERSION = Pattern.compile("version (\\d+)\\.(\\d+)\\.(\\d+)");

    /** Parses the first line of {@code qemu-system-x86_64 --version}. */
    static QemuVersion parse(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        if (!m.find()) {
            throw new IllegalArgumentException("no QEMU version in: " + versionOutput);
        }
        return new QemuVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    /**
     * Whether pre-copy is consistent under TCG: before 9.0, TCG stores through cached TLB entries could
     * miss the dirty bitmap after a sync, so restored guests saw stale pages.
     */
    boolean preCopySafeUnderTcg() {
        return major >= 9;
    }

    @Override
    public int compareTo(QemuVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(micro, o.micro);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + micro;
    }
}
