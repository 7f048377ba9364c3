package net.vnsnap.am.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;

/** The RSpec versions this AM reads and writes (GENI 3 only) and the check of {@code geni_rspec_version}. */
public final class RSpecVersions {

    /** Which document a call returns. */
    public enum Kind {
        REQUEST("request.xsd"), ADVERTISEMENT("ad.xsd"), MANIFEST("manifest.xsd");

        final String xsd;

        Kind(String xsd) {
            this.xsd = xsd;
        }
    }

    public static final String GENI_NS = "http://www.geni.net/resources/rspec/3";

    private RSpecVersions() {
    }

    /**
     * Requires {@code geni_rspec_version} = {type: GENI, version: 3}: missing is BADARGS, any other
     * version BADVERSION, as the API prescribes.
     */
    public static void requireGeni3(Options options, Kind kind) throws GeniException {
        Map<String, Object> v = options.struct("geni_rspec_version").orElseThrow(() -> new GeniException(GeniCode.BADARGS,
                "option geni_rspec_version is required, e.g. {type: GENI, version: 3}"));
        Object type = v.get("type");
        Object version = v.get("version");
        if (type == null || version == null) {
            throw new GeniException(GeniCode.BADARGS, "geni_rspec_version needs both type and version");
        }
        if (!type.toString().equalsIgnoreCase("GENI") || !version.toString().trim().equals("3")) {
            throw new GeniException(GeniCode.BADVERSION, "RSpec version " + type + " " + version
                    + " is not supported; this aggregate speaks GENI 3");
        }
    }

    /** The entries of geni_request_rspec_versions / geni_ad_rspec_versions in GetVersion. */
    public static List<Object> advertised(Kind kind, List<String> extensions) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "GENI");
        m.put("version", "3");
        m.put("schema", GENI_NS + "/" + kind.xsd);
        m.put("namespace", GENI_NS);
        m.put("extensions", new ArrayList<Object>(extensions));
        List<Object> out = new ArrayList<>();
        out.add(m);
        return out;
    }
}
