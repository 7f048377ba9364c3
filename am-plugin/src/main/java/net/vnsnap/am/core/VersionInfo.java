package net.vnsnap.am.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.RSpecVersions;

/**
 * The value of GetVersion: API versions and their URLs (string keys), RSpec versions with our extension
 * namespaces, accepted credential types, and allocation semantics, with exactly the XML-RPC types
 * the GENI acceptance tests check (ints are ints, version numbers strings).
 */
public final class VersionInfo {

    /** The software version reported as geni_am_code. */
    public static final String VERSION = "0.1.0";

    private VersionInfo() {
    }

    /**
     * @param v3Url       this AM's v3 URL
     * @param v2Url       its v2 URL, or null when v2 is not served
     * @param extensions  extension namespaces of request and advertisement RSpecs
     */
    public static Map<String, Object> value(String v3Url, String v2Url, List<String> extensions) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("geni_api", 3);
        Map<String, Object> urls = new LinkedHashMap<>();
        urls.put("3", v3Url);
        if (v2Url != null) {
            urls.put("2", v2Url);
        }
        v.put("geni_api_versions", urls);
        v.put("geni_request_rspec_versions", RSpecVersions.advertised(RSpecVersions.Kind.REQUEST, extensions));
        v.put("geni_ad_rspec_versions", RSpecVersions.advertised(RSpecVersions.Kind.ADVERTISEMENT, extensions));
        List<Object> creds = new ArrayList<>();
        creds.add(credType("geni_sfa", "3"));
        creds.add(credType("geni_sfa", "2"));
        creds.add(credType("geni_abac", "1"));
        v.put("geni_credential_types", creds);
        // 0: slivers may be provisioned, renewed and deleted one by one.
        v.put("geni_single_allocation", 0);
        // One Allocate per slice until it is deleted, the default Omni assumes.
        v.put("geni_allocate", "geni_single");
        v.put("geni_am_type", "vnsnap");
        v.put("geni_am_code", VERSION);
        return v;
    }

    private static Map<String, Object> credType(String type, String version) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("geni_type", type);
        m.put("geni_version", version);
        return m;
    }
}
