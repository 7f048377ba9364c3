package net.vnsnap.certs.rpc;

import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.certs.xml.SizeCappedInputStream;
import org.apache.xmlrpc.util.SAXParsers;
import org.xml.sax.SAXParseException;

/** Points Apache XML-RPC's JVM-wide SAX parser at our hardened factory and names why a request was unreadable. */
final class SafeRpcXml {

    private static volatile boolean installed;

    private SafeRpcXml() {
    }

    /** Installs the hardened parser factory and a JVM-wide deserialization filter that refuses everything. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        SAXParsers.setSAXParserFactory(SafeXml.saxParserFactory());
        // No vnsnap code deserializes Java objects; refuse all, so a re-enabled XML-RPC extension cannot either.
        if (java.io.ObjectInputFilter.Config.getSerialFilter() == null) {
            java.io.ObjectInputFilter.Config.setSerialFilter(info -> info.serialClass() == null && info.depth() <= 1
                    ? java.io.ObjectInputFilter.Status.UNDECIDED : java.io.ObjectInputFilter.Status.REJECTED);
        }
        installed = true;
    }

    /** A readable reason for a request that failed before reaching the endpoint. */
    static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SizeCappedInputStream.TooLargeException) {
                return "request too large: " + c.getMessage();
            }
            if (c instanceof SAXParseException p) {
                String msg = p.getMessage() == null ? "malformed XML" : p.getMessage();
                if (msg.contains("DOCTYPE")) {
                    msg = "DOCTYPE declarations are not allowed";
                }
                return "malformed XML-RPC request at line " + p.getLineNumber() + ", column " + p.getColumnNumber() + ": " + msg;
            }
        }
        return "malformed XML-RPC request: " + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
}
