package net.vnsnap.rspec.snapshot;

/** Names of the vnsnap snapshot extension: namespace, usual prefix, schema location and bundled XSD. */
public final class SnapshotNs {
    /** Version 1 of the extension; an incompatible change gets a new namespace ending in /2. */
    public static final String NS = "http://vnsnap.net/rspec/ext/snapshot/1";
    public static final String PREFIX = "snap";
    /** Where clients are told the XSD lives (xsi:schemaLocation); the same file ships in this jar. */
    public static final String SCHEMA_LOCATION = NS + "/snapshot.xsd";
    /** Classpath resource of the XSD. */
    public static final String XSD_RESOURCE = "/net/vnsnap/rspec/snapshot/snapshot-1.xsd";

    /** Node element in requests and manifests: the snapshot settings. */
    public static final String SNAPSHOT = "snapshot";
    /** Node element in advertisements: what the host can do. */
    public static final String CAPABILITY = "capability";
    /** Rspec-level element in manifests: the slice's snapshots. */
    public static final String SLICE_SNAPSHOTS = "slice_snapshots";
    static final String RECORD = "record";
    static final String VM = "vm";

    private SnapshotNs() {
    }
}
