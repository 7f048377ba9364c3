package net.vnsnap.rspec.am;

import java.util.LinkedHashMap;
import java.util.Map;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.XmlAttr;

/** Builds the root's xsi:schemaLocation: the GENI v3 XSD for the type, our extensions, and pairs kept from a request. */
final class SchemaLocations {
    private SchemaLocations() {
    }

    /**
     * Sets xsi:schemaLocation on {@code b}: pairs already there for other namespaces are kept (an emulab
     * pair stays an emulab pair), the GENI pair is replaced by the XSD for {@code type}, then {@code extra}
     * (namespace, location, ...) pairs are set.
     */
    static void apply(RSpec.Builder b, RSpecType type, String... extra) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (XmlAttr a : b.attrs()) {
            if (a.is(Ns.XSI, "schemaLocation")) {
                String[] t = a.value().trim().split("\\s+");
                for (int i = 0; i + 1 < t.length; i += 2) {
                    pairs.put(t[i], t[i + 1]);
                }
            }
        }
        pairs.remove(Ns.GENI);
        Map<String, String> out = new LinkedHashMap<>();
        out.put(Ns.GENI, type.schemaLocation());
        out.putAll(pairs);
        for (int i = 0; i + 1 < extra.length; i += 2) {
            out.put(extra[i], extra[i + 1]);
        }
        StringBuilder v = new StringBuilder();
        out.forEach((ns, loc) -> v.append(v.length() == 0 ? "" : " ").append(ns).append(' ').append(loc));
        b.declare("xsi", Ns.XSI);
        b.setAttr(new XmlAttr(Ns.XSI, "xsi", "schemaLocation", v.toString()));
    }
}
