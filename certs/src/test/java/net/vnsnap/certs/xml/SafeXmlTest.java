package net.vnsnap.certs.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class SafeXmlTest {

    @Test
    void parsesOrdinaryDocuments() throws Exception {
        Document d = SafeXml.parse("<a xmlns='urn:x'><b>t</b></a>", 1000);
        assertEquals("urn:x", d.getDocumentElement().getNamespaceURI());
    }

    @Test
    void refusesDoctypeAndEntityExpansion() {
        String billionLaughs = "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]><l>&b;</l>";
        XmlInputException e = assertThrows(XmlInputException.class, () -> SafeXml.parse(billionLaughs, 10_000));
        assertEquals(XmlInputException.Kind.FORBIDDEN_CONSTRUCT, e.kind());
        assertTrue(e.describe().contains("DOCTYPE"), e.describe());
    }

    @Test
    void refusesExternalEntities(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOPSECRET");
        String xxe = "<!DOCTYPE r [<!ENTITY x SYSTEM '" + secret.toUri() + "'>]><r>&x;</r>";
        XmlInputException e = assertThrows(XmlInputException.class, () -> SafeXml.parse(xxe, 10_000));
        assertTrue(!e.getMessage().contains("TOPSECRET"));
    }

    @Test
    void refusesOversizedDocumentsWithoutReadingThemWhole() {
        InputStream endless = new InputStream() {
            private long served;

            @Override
            public int read() {
                served++;
                return served == 1 ? '<' : (served < 3 ? 'a' : (served == 3 ? '>' : ' '));
            }
        };
        XmlInputException e = assertThrows(XmlInputException.class, () -> SafeXml.parse(endless, 64 * 1024));
        assertEquals(XmlInputException.Kind.TOO_LARGE, e.kind());
    }

    @Test
    void reportsLineAndColumnOfMalformedInput() {
        XmlInputException e = assertThrows(XmlInputException.class, () -> SafeXml.parse("<a>\n  <b></c>\n</a>", 1000));
        assertEquals(XmlInputException.Kind.MALFORMED, e.kind());
        assertEquals(2, e.line());
        assertTrue(e.column() > 0);
        assertTrue(e.describe().startsWith("line 2, column"), e.describe());
    }
}
