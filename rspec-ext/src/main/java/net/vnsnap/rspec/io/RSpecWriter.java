package net.vnsnap.rspec.io;

import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.ComponentManager;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.HardwareType;
import net.vnsnap.rspec.model.Host;
import net.vnsnap.rspec.model.Interface;
import net.vnsnap.rspec.model.InterfacePart;
import net.vnsnap.rspec.model.InterfaceRef;
import net.vnsnap.rspec.model.Ip;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.LinkPart;
import net.vnsnap.rspec.model.LinkProperty;
import net.vnsnap.rspec.model.LinkType;
import net.vnsnap.rspec.model.Location;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.NodePart;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecPart;
import net.vnsnap.rspec.model.Services;
import net.vnsnap.rspec.model.ServicesPart;
import net.vnsnap.rspec.model.SliverType;
import net.vnsnap.rspec.model.SliverTypePart;
import net.vnsnap.rspec.model.XmlAttr;

/** Writes any RSpec of the model as UTF-8 XML, with every preserved extension where it was read. */
public final class RSpecWriter {

    private RSpecWriter() {
    }

    public static String toString(RSpec rspec) {
        StringWriter sw = new StringWriter();
        write(rspec, sw);
        return sw.toString();
    }

    public static byte[] toBytes(RSpec rspec) {
        return toString(rspec).getBytes(StandardCharsets.UTF_8);
    }

    /** Writes UTF-8 to {@code out}; the stream is flushed, not closed. */
    public static void write(RSpec rspec, OutputStream out) {
        write(rspec, new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16));
    }

    public static void write(RSpec rspec, Writer w) {
        XmlOut x = new XmlOut(w);
        x.declaration();
        List<XmlAttr> a = known("type", rspec.type().wire(), "generated", rspec.generated(),
                "generated_by", rspec.generatedBy(), "expires", rspec.expires());
        x.start(Ns.GENI, "", "rspec", merge(rspec.attrs(), a), false);
        for (RSpecPart p : rspec.parts()) {
            if (p instanceof Node n) {
                node(x, n);
            } else if (p instanceof Link l) {
                link(x, l);
            } else if (p instanceof AnyElement e) {
                any(x, e);
            }
        }
        x.end();
        x.finish();
    }

    private static void node(XmlOut x, Node n) {
        geni(x, "node", n.attrs(), "client_id", n.clientId(), "component_id", n.componentId(),
                "component_manager_id", n.componentManagerId(), "component_name", n.componentName(),
                "exclusive", n.exclusive() == null ? null : n.exclusive().toString(), "sliver_id", n.sliverId());
        for (NodePart p : n.parts()) {
            if (p instanceof SliverType s) {
                geni(x, "sliver_type", s.attrs(), "name", s.name());
                for (SliverTypePart q : s.parts()) {
                    if (q instanceof DiskImage d) {
                        leaf(x, "disk_image", d.attrs(), d.ext(), "name", d.name(), "os", d.os(), "version",
                                d.version(), "description", d.description());
                    } else {
                        any(x, (AnyElement) q);
                    }
                }
                x.end();
            } else if (p instanceof HardwareType h) {
                leaf(x, "hardware_type", h.attrs(), h.ext(), "name", h.name());
            } else if (p instanceof Interface i) {
                geni(x, "interface", i.attrs(), "client_id", i.clientId(), "component_id", i.componentId(),
                        "sliver_id", i.sliverId(), "mac_address", i.macAddress());
                for (InterfacePart q : i.parts()) {
                    if (q instanceof Ip ip) {
                        leaf(x, "ip", ip.attrs(), ip.ext(), "address", ip.address(), "netmask", ip.netmask(),
                                "type", ip.type());
                    } else {
                        any(x, (AnyElement) q);
                    }
                }
                x.end();
            } else if (p instanceof Services s) {
                geni(x, "services", s.attrs());
                for (ServicesPart q : s.parts()) {
                    if (q instanceof Login l) {
                        leaf(x, "login", l.attrs(), l.ext(), "authentication", l.authentication(), "hostname",
                                l.hostname(), "port", l.port(), "username", l.username());
                    } else {
                        any(x, (AnyElement) q);
                    }
                }
                x.end();
            } else if (p instanceof Location l) {
                leaf(x, "location", l.attrs(), l.ext(), "country", l.country(), "latitude", l.latitude(),
                        "longitude", l.longitude());
            } else if (p instanceof Host h) {
                leaf(x, "host", h.attrs(), List.of(), "name", h.name());
            } else if (p instanceof AnyElement e) {
                any(x, e);
            }
        }
        x.end();
    }

    private static void link(XmlOut x, Link l) {
        geni(x, "link", l.attrs(), "client_id", l.clientId(), "component_id", l.componentId(),
                "sliver_id", l.sliverId(), "vlantag", l.vlantag());
        for (LinkPart p : l.parts()) {
            if (p instanceof ComponentManager c) {
                leaf(x, "component_manager", c.attrs(), List.of(), "name", c.name());
            } else if (p instanceof InterfaceRef r) {
                leaf(x, "interface_ref", r.attrs(), r.ext(), "client_id", r.clientId(), "component_id",
                        r.componentId(), "sliver_id", r.sliverId());
            } else if (p instanceof LinkProperty q) {
                leaf(x, "property", q.attrs(), q.ext(), "source_id", q.sourceId(), "dest_id", q.destId(),
                        "capacity", q.capacity(), "latency", q.latency(), "packet_loss", q.packetLoss());
            } else if (p instanceof LinkType t) {
                leaf(x, "link_type", t.attrs(), t.ext(), "name", t.name());
            } else if (p instanceof AnyElement e) {
                any(x, e);
            }
        }
        x.end();
    }

    /** Writes a preserved element exactly: its prefix, attributes, declarations, text and children. */
    static void any(XmlOut x, AnyElement e) {
        boolean mixed = e.content().stream().anyMatch(o -> o instanceof String);
        x.start(e.ns(), e.prefix(), e.local(), e.attrs(), mixed);
        for (Object o : e.content()) {
            if (o instanceof AnyElement c) {
                any(x, c);
            } else {
                x.text((String) o);
            }
        }
        x.end();
    }

    private static void geni(XmlOut x, String local, List<XmlAttr> extra, String... nameValues) {
        x.start(Ns.GENI, "", local, merge(extra, known(nameValues)), false);
    }

    private static void leaf(XmlOut x, String local, List<XmlAttr> extra, List<AnyElement> ext,
            String... nameValues) {
        geni(x, local, extra, nameValues);
        for (AnyElement e : ext) {
            any(x, e);
        }
        x.end();
    }

    /** Namespace declarations first (they must be in scope for the rest), then known, then other attributes. */
    private static List<XmlAttr> merge(List<XmlAttr> extra, List<XmlAttr> known) {
        List<XmlAttr> out = new ArrayList<>(extra.size() + known.size());
        for (XmlAttr a : extra) {
            if (a.isNsDecl()) {
                out.add(a);
            }
        }
        out.addAll(known);
        for (XmlAttr a : extra) {
            if (!a.isNsDecl()) {
                out.add(a);
            }
        }
        return out;
    }

    private static List<XmlAttr> known(String... nameValues) {
        List<XmlAttr> out = new ArrayList<>(nameValues.length / 2);
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] != null) {
                out.add(XmlAttr.plain(nameValues[i], nameValues[i + 1]));
            }
        }
        return out;
    }
}
