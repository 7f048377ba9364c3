package net.vnsnap.geni.am;

/** Request RSpecs written the way Omni and jFed users write them (schema locations, component managers, links). */
final class Requests {

    private Requests() {
    }

    private static final String HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
            + "       xmlns:snap=\"http://vnsnap.net/rspec/ext/snapshot/1\"\n"
            + "       xsi:schemaLocation=\"http://www.geni.net/resources/rspec/3 http://www.geni.net/resources/rspec/3/request.xsd"
            + " http://vnsnap.net/rspec/ext/snapshot/1 http://vnsnap.net/rspec/ext/snapshot/1/snapshot.xsd\"\n"
            + "       type=\"request\">\n";

    /**
     * Two QEMU VMs, one bound to each host (so the link crosses hosts through the tunnel), on one LAN; the first is
     * snapshot-enabled through the vnsnap extension.
     */
    static String twoHostLan(String amUrn, String authority) {
        return HEAD
                + node("client", amUrn, authority, "hostd1", "10.10.1.1",
                        "    <snap:snapshot enabled=\"true\" mode=\"live\" include_disk=\"false\" retain=\"2\"/>\n")
                + node("server", amUrn, authority, "hostd2", "10.10.1.2", "")
                + "  <link client_id=\"lan0\">\n"
                + "    <component_manager name=\"" + amUrn + "\"/>\n"
                + "    <interface_ref client_id=\"client:if0\"/>\n"
                + "    <interface_ref client_id=\"server:if0\"/>\n"
                + "    <link_type name=\"lan\"/>\n"
                + "  </link>\n"
                + "</rspec>\n";
    }

    /** One unbound VM without links. */
    static String oneVm(String amUrn) {
        return HEAD + "  <node client_id=\"solo\" component_manager_id=\"" + amUrn + "\" exclusive=\"false\">\n"
                + "    <sliver_type name=\"qemu-vm\"/>\n  </node>\n</rspec>\n";
    }

    /**
     * Snapshot-enabled VMs (all with {@code <snap:snapshot mode="cow" include_disk="false"/>}), each bound to the
     * given host and numbered 10.0.9.N in order on one LAN {@code lan0} when {@code lan} is true.
     */
    static String snapshotSlice(String amUrn, String authority, java.util.Map<String, String> hostOfVm, boolean lan) {
        StringBuilder b = new StringBuilder(HEAD);
        int n = 1;
        for (java.util.Map.Entry<String, String> e : hostOfVm.entrySet()) {
            String snap = "    <snap:snapshot mode=\"cow\" include_disk=\"false\"/>\n";
            if (lan) {
                b.append(node(e.getKey(), amUrn, authority, e.getValue(), "10.0.9." + n++, snap));
            } else {
                b.append("  <node client_id=\"").append(e.getKey()).append("\" component_manager_id=\"").append(amUrn)
                        .append("\" component_id=\"urn:publicid:IDN+").append(authority).append("+node+").append(e.getValue())
                        .append("\" exclusive=\"false\">\n    <sliver_type name=\"qemu-vm\"/>\n").append(snap).append("  </node>\n");
            }
        }
        if (lan) {
            b.append("  <link client_id=\"lan0\">\n    <component_manager name=\"").append(amUrn).append("\"/>\n");
            for (String vm : hostOfVm.keySet()) {
                b.append("    <interface_ref client_id=\"").append(vm).append(":if0\"/>\n");
            }
            b.append("    <link_type name=\"lan\"/>\n  </link>\n");
        }
        return b.append("</rspec>\n").toString();
    }

    private static String node(String id, String amUrn, String authority, String host, String ip, String ext) {
        return "  <node client_id=\"" + id + "\" component_manager_id=\"" + amUrn + "\" component_id=\"urn:publicid:IDN+"
                + authority + "+node+" + host + "\" exclusive=\"false\">\n"
                + "    <sliver_type name=\"qemu-vm\"/>\n"
                + ext
                + "    <interface client_id=\"" + id + ":if0\">\n"
                + "      <ip address=\"" + ip + "\" netmask=\"255.255.255.0\" type=\"ipv4\"/>\n"
                + "    </interface>\n"
                + "  </node>\n";
    }
}
