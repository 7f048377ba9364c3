package net.vnsnap.certs.urn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GeniUrnTest {

    @Test
    void parsesTheThreeParts() throws Exception {
        GeniUrn u = GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcf+slice+fixture2");
        assertEquals("geni:gpo:gcf", u.authority());
        assertEquals("slice", u.type());
        assertEquals("fixture2", u.name());
        assertEquals("geni//gpo//gcf", u.plainAuthority());
        assertEquals("urn:publicid:IDN+geni:gpo:gcf+slice+fixture2", u.toString());
    }

    @Test
    void buildsFromPlainTextWithPublicIdTransforms() throws Exception {
        GeniUrn u = GeniUrn.of("geni//gpo//gcf", "user", "alice");
        assertEquals("urn:publicid:IDN+geni:gpo:gcf+user+alice", u.toString());
        GeniUrn am = GeniUrn.of("geni//gpo//gcf//am", "authority", "am");
        assertEquals("urn:publicid:IDN+geni:gpo:gcf:am+authority+am", am.toString());
    }

    @Test
    void encodeAndDecodeAreInverse() {
        for (String plain : new String[] {"a b", "x+y", "50%", "a;b", "a::b", "a:b", "a/b", "a//b", "q?#'", "%3A"}) {
            assertEquals(plain, PublicId.decode(PublicId.encode(plain)), plain);
        }
        assertEquals("my+slice", PublicId.encode("my   slice"));
        assertEquals("a;b", PublicId.encode("a::b"));
        assertEquals("a%3Ab", PublicId.encode("a:b"));
    }

    @Test
    void comparesAuthorityAndTypeWithoutCaseButNameExactly() throws Exception {
        GeniUrn a = GeniUrn.parse("urn:publicid:IDN+GENI:gpo:gcf+Slice+s1");
        GeniUrn b = GeniUrn.parse("URN:PUBLICID:IDN+geni:gpo:gcf+slice+s1");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcf+slice+S1"));
        assertTrue(GeniUrn.same(a.toString(), b.toString()));
        assertFalse(GeniUrn.same("nonsense", "nonsense"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "urn:publicid:IDN", "urn:publicid:IDN+auth+slice", "urn:publicid:IDN++slice+x",
        "urn:publicid:IDN+a+slice+", "urn:publicid:IDN+a b+slice+x", "urn:foo:IDN+a+slice+x",
        "urn:publicid:IDN+a+sl ice+x", "urn:publicid:IDN+a+slice+x|y", "urn:publicid:IDN+a+slice+x/y",
        "urn:publicid:IDN+a+1slice+x"})
    void rejectsMalformedUrns(String text) {
        assertThrows(InvalidUrnException.class, () -> GeniUrn.parse(text));
    }

    @Test
    void appliesPerTypeNameRules() throws Exception {
        GeniUrn.parseStrict("urn:publicid:IDN+a+slice+abc-123");
        InvalidUrnException tooLong = assertThrows(InvalidUrnException.class,
                () -> GeniUrn.parseStrict("urn:publicid:IDN+a+slice+abcdefghijklmnopqrst"));
        assertTrue(tooLong.getMessage().contains("1 to 19"));
        assertThrows(InvalidUrnException.class, () -> GeniUrn.parseStrict("urn:publicid:IDN+a+slice+-abc"));
        assertThrows(InvalidUrnException.class, () -> GeniUrn.parseStrict("urn:publicid:IDN+a+user+1alice"));
        assertThrows(InvalidUrnException.class, () -> GeniUrn.parseStrict("urn:publicid:IDN+a+user+alicealice"));
        assertThrows(InvalidUrnException.class, () -> GeniUrn.parseStrict("urn:publicid:IDN+a+sliver+a:b"));
        GeniUrn.parseStrict("urn:publicid:IDN+a+sliver+3f2a-9c.vm_1");
        GeniUrn.parseStrict("urn:publicid:IDN+a+image+any+name+with+plus");
    }

    @Test
    void authorityCoversItsSubAuthoritiesOnly() throws Exception {
        GeniUrn sa = GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcf+authority+sa");
        assertTrue(sa.authorityCovers(GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcf+slice+s")));
        assertTrue(sa.authorityCovers(GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcf:am+authority+am")));
        assertFalse(sa.authorityCovers(GeniUrn.parse("urn:publicid:IDN+geni:gpo:gcfx+slice+s")));
        assertFalse(sa.authorityCovers(GeniUrn.parse("urn:publicid:IDN+geni:gpo+slice+s")));
    }
}
