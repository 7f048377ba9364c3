package net.vnsnap.rspec;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

/** Generates request RSpecs of any size in the style of the jFed fixture, in memory or lazily as a stream. */
public final class LargeRequest {
    private static final String HEAD = "<?xml version='1.0'?>\n<rspec xmlns=\"http://www.geni.net/resources/rspec/3\""
            + " type=\"request\" generated_by=\"vnsnap test generator\""
            + " xmlns:jfed=\"http://jfed.iminds.be/rspec/ext/jfed/1\""
            + " xmlns:emulab=\"http://www.protogeni.net/resources/rspec/ext/emulab/1\""
            + " xmlns:snap=\"http://vnsnap.net/rspec/ext/snapshot/1\">\n";

    private LargeRequest() {
    }

    /** The text of node {@code i} and, for odd i, the link joining it to node i-1. */
    public static String chunk(int i) {
        String id = "vm" + i;
        StringBuilder b = new StringBuilder(700);
        b.append("  <node client_id=\"").append(id).append("\" exclusive=\"false\"")
                .append(" component_manager_id=\"urn:publicid:IDN+vnsnap.example.net+authority+am\">\n")
                .append("    <sliver_type name=\"").append(i % 3 == 0 ? "qemu-vm" : "xen-vm").append("\">\n")
                .append("      <disk_image name=\"urn:publicid:IDN+vnsnap.example.net+image+ubuntu-22.04\"/>\n")
                .append("    </sliver_type>\n")
                .append("    <jfed:location x=\"").append(i % 100 * 10).append(".0\" y=\"").append(i / 100 * 10).append(".0\"/>\n")
                .append("    <interface client_id=\"").append(id).append(":if0\">\n")
                .append("      <ip address=\"10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.')
                .append(i & 255).append("\" netmask=\"255.0.0.0\" type=\"ipv4\"/>\n")
                .append("    </interface>\n");
        if (i % 2 == 0) {
            b.append("    <snap:snapshot mode=\"live\" schedule=\"PT1H\" retain=\"2\"/>\n");
        }
        b.append("    <emulab:routable_control_ip/>\n  </node>\n");
        if (i % 2 == 1) {
            b.append("  <link client_id=\"link").append(i).append("\">\n")
                    .append("    <interface_ref client_id=\"vm").append(i - 1).append(":if0\"/>\n")
                    .append("    <interface_ref client_id=\"").append(id).append(":if0\"/>\n")
                    .append("    <link_type name=\"lan\"/>\n  </link>\n");
        }
        return b.toString();
    }

    public static byte[] bytes(int nodes) {
        StringBuilder b = new StringBuilder(nodes * 800 + 512).append(HEAD);
        for (int i = 0; i < nodes; i++) {
            b.append(chunk(i));
        }
        return b.append("</rspec>\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The same document produced piece by piece, never held whole in memory. */
    public static InputStream stream(int nodes) {
        return new SequenceInputStream(new Enumeration<InputStream>() {
            private int i = -1;

            @Override
            public boolean hasMoreElements() {
                return i <= nodes;
            }

            @Override
            public InputStream nextElement() {
                String s = i < 0 ? HEAD : i < nodes ? chunk(i) : "</rspec>\n";
                i++;
                return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
            }
        });
    }
}
