package net.vnsnap.certs.credential;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import net.vnsnap.certs.GeniCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tamper rule: a one-character change in text content, an element name or an attribute value of any
 * signed credential, SignedInfo or SignatureValue makes verification fail; the untouched file verifies.
 */
class TamperTest {

    private static final CredentialVerifier VERIFIER = new CredentialVerifier(roots(), at(VALID));

    /** Where in a region a changed character sits. */
    enum Kind { TEXT, ELEMENT_NAME, ATTRIBUTE_VALUE }

    record Region(String label, int start, int end) {
    }

    static Stream<Arguments> files() {
        return Stream.of(Arguments.of("slice-cred-fixture2.xml"), Arguments.of("user-cred-alice.xml"),
                Arguments.of("slice-cred-fixture2-delegated-to-bob.xml"));
    }

    @ParameterizedTest
    @MethodSource("files")
    void everySignedRegionDetectsOneCharacterChanges(String file) throws Exception {
        String xml = text(file);
        assertNotNull(VERIFIER.verify(xml, null, null, Set.of()), "untouched " + file + " must verify");
        List<Region> regions = regions(xml);
        int expectedRegions = file.contains("delegated") ? 6 : 3;
        assertEquals(expectedRegions, regions.size(), "signed regions found in " + file);
        Random rnd = new Random(file.hashCode());
        int tried = 0;
        for (Region r : regions) {
            for (Kind k : Kind.values()) {
                List<Integer> spots = spots(xml, r, k);
                if (r.label.startsWith("SignatureValue")) {
                    assertTrue(k != Kind.TEXT || spots.size() > 100, "SignatureValue text positions");
                }
                List<Integer> chosen = new ArrayList<>();
                for (int i = 0; i < 4 && !spots.isEmpty(); i++) {
                    chosen.add(spots.get(i * spots.size() / 4));
                    chosen.add(spots.get(rnd.nextInt(spots.size())));
                }
                for (int pos : chosen) {
                    String bad = xml.substring(0, pos) + change(xml.charAt(pos)) + xml.substring(pos + 1);
                    CredentialException e = assertThrows(CredentialException.class, () -> VERIFIER.verify(bad, null, null, Set.of()),
                            file + ": change at " + pos + " (" + k + " in " + r.label + ") was accepted");
                    assertEquals(GeniCode.CREDENTIAL_INVALID, e.code(), file + " at " + pos + ": " + e.getMessage());
                    tried++;
                }
            }
            // Whitespace inside signed text content counts too (not inside SignatureValue, whose base64 ignores it).
            if (r.label.startsWith("credential")) {
                int nl = xml.indexOf('\n', r.start);
                assertTrue(nl > 0 && nl < r.end);
                String bad = xml.substring(0, nl) + ' ' + xml.substring(nl + 1);
                assertThrows(CredentialException.class, () -> VERIFIER.verify(bad, null, null, Set.of()), "whitespace in " + r.label);
            }
        }
        assertTrue(tried >= expectedRegions * 10, "too few changes tried: " + tried);
    }

    @ParameterizedTest
    @MethodSource("files")
    void consistentlyRenamedElementsBreakTheSignature(String file) {
        String xml = text(file);
        for (String[] rename : new String[][] {{"<uuid/>", "<uuie/>"}, {"serial>", "seriak>"}}) {
            String bad = xml.replace(rename[0], rename[1]);
            assertNotEquals(xml, bad);
            CredentialException e = assertThrows(CredentialException.class, () -> VERIFIER.verify(bad, null, null, Set.of()));
            assertEquals(CredentialFailure.BAD_SIGNATURE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void changesThatKeepTheCanonicalFormStillVerify(String file) throws Exception {
        String xml = text(file);
        // C14N normalizes whitespace inside tags: a tab instead of the space before xml:id changes nothing signed.
        String same = xml.replace("<credential xml:id=", "<credential\txml:id=");
        assertNotEquals(xml, same);
        assertNotNull(VERIFIER.verify(same, null, null, Set.of()));
    }

    static char change(char c) {
        if (c >= '0' && c <= '9') {
            return (char) ('0' + (c - '0' + 1) % 10);
        }
        if (c >= 'a' && c <= 'z') {
            return (char) ('a' + (c - 'a' + 1) % 26);
        }
        return (char) ('A' + (c - 'A' + 1) % 26);
    }

    /** Each signed credential, each SignedInfo and each SignatureValue. */
    static List<Region> regions(String xml) {
        List<Region> out = new ArrayList<>();
        int i = -1;
        while ((i = xml.indexOf("<credential ", i + 1)) >= 0) {
            out.add(new Region("credential@" + i, i, matchingEnd(xml, i)));
        }
        for (String tag : List.of("SignedInfo", "SignatureValue")) {
            int j = -1;
            while ((j = xml.indexOf("<" + tag + ">", j + 1)) >= 0) {
                out.add(new Region(tag + "@" + j, j, xml.indexOf("</" + tag + ">", j) + tag.length() + 3));
            }
        }
        return out;
    }

    private static int matchingEnd(String xml, int start) {
        int depth = 0;
        int i = start;
        while (true) {
            int open = xml.indexOf("<credential ", i + 1);
            int close = xml.indexOf("</credential>", i + 1);
            if (open >= 0 && open < close) {
                depth++;
                i = open;
            } else if (depth == 0) {
                return close + "</credential>".length();
            } else {
                depth--;
                i = close;
            }
        }
    }

    /** Positions of letters and digits of the given kind inside the region. */
    static List<Integer> spots(String xml, Region r, Kind kind) {
        List<Integer> out = new ArrayList<>();
        boolean inTag = false;
        boolean inName = false;
        boolean inValue = false;
        for (int i = r.start; i < r.end; i++) {
            char c = xml.charAt(i);
            if (!inTag) {
                if (c == '<') {
                    inTag = true;
                    inName = true;
                    continue;
                }
                if (kind == Kind.TEXT && Character.isLetterOrDigit(c) && c < 128 && !nearBase64End(xml, i, r)) {
                    out.add(i);
                }
                continue;
            }
            if (inValue) {
                if (c == '"') {
                    inValue = false;
                } else if (kind == Kind.ATTRIBUTE_VALUE && Character.isLetterOrDigit(c) && c < 128) {
                    out.add(i);
                }
                continue;
            }
            if (c == '>') {
                inTag = false;
                inName = false;
            } else if (c == '"') {
                inValue = true;
            } else if (c == ' ' || c == '/' && i > 0 && xml.charAt(i - 1) != '<') {
                inName = false;
            } else if (inName && kind == Kind.ELEMENT_NAME && Character.isLetterOrDigit(c)) {
                out.add(i);
            }
        }
        return out;
    }

    /** The last characters of a base64 value may carry only padding bits; changing them need not change the bytes. */
    private static boolean nearBase64End(String xml, int i, Region r) {
        if (!r.label.startsWith("SignatureValue")) {
            return false;
        }
        int end = xml.indexOf('<', i);
        return end - i <= 3;
    }
}
