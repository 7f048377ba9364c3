package net.vnsnap.rspec.model;

import java.util.Objects;

/**
 * An attribute the model does not interpret (a foreign-namespace extension, an unmodelled GENI attribute,
 * or a namespace declaration), kept so that it is written back unchanged.
 */
public record XmlAttr(String ns, String prefix, String local, String value) {

    public XmlAttr {
        ns = ns == null ? "" : ns;
        prefix = prefix == null ? "" : prefix;
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(value, "value");
    }

    /** A namespace declaration {@code xmlns:prefix="uri"}, or the default one when prefix is empty. */
    public static XmlAttr nsDecl(String prefix, String uri) {
        return prefix == null || prefix.isEmpty()
                ? new XmlAttr(Ns.XMLNS, "", "xmlns", uri)
                : new XmlAttr(Ns.XMLNS, "xmlns", prefix, uri);
    }

    /** An attribute without a namespace. */
    public static XmlAttr plain(String local, String value) {
        return new XmlAttr("", "", local, value);
    }

    public boolean isNsDecl() {
        return Ns.XMLNS.equals(ns);
    }

    /** For a namespace declaration, the prefix it binds ("" for the default namespace). */
    public String declaredPrefix() {
        return "xmlns".equals(prefix) ? local : "";
    }

    public boolean is(String namespace, String name) {
        return ns.equals(namespace == null ? "" : namespace) && local.equals(name);
    }
}
