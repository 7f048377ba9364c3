package net.vnsnap.rspec.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.XmlCanon;
import net.vnsnap.rspec.model.RSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoundTripTest {
    @ParameterizedTest
    @ValueSource(strings = {"/requests/jfed-request.xml", "/requests/omni-request.xml", "/requests/jfed-delay-request.xml"})
    void readWriteKeepsEverything(String fixture) throws Exception {
        String in = Fixtures.text(fixture);
        RSpec r = new RSpecReader().read(in);
        String out = RSpecWriter.toString(r);

        assertEquals(XmlCanon.of(in), XmlCanon.of(out));
    }
}
