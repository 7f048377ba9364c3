package net.vnsnap.geni.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.am.plugin.snapshot.SnapshotPlugin;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.Link;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import net.vnsnap.rspec.validate.AggregateProfile;
import net.vnsnap.rspec.validate.RequestChecker;
import org.junit.jupiter.api.Test;

/** The example files the guides and the demo use are what they claim to be, so the guides cannot silently rot. */
class GuideExamplesTest {

    private static final Path ROOT = Checkout.root();
    private static final String EXAMPLE_AM = "urn:publicid:IDN+" + SliceDemo.EXAMPLE_AUTHORITY + "+authority+am";

    @Test
    void exampleRequestIsAThreeVmSnapshotEnabledRequestTheAmAccepts() throws Exception {
        RSpec r = new RSpecReader().read(Files.readString(ROOT.resolve(SliceDemo.EXAMPLE_REQUEST)));
        assertEquals(RSpecType.REQUEST, r.type());
        new RequestChecker(AggregateProfile.defaults(), EXAMPLE_AM).check(r);
        assertEquals(List.of("vm1", "vm2", "vm3"), r.nodes().stream().map(Node::clientId).toList());
        assertEquals(List.of("hostd1", "hostd1", "hostd2"), r.nodes().stream()
                .map(n -> n.componentId().substring(n.componentId().lastIndexOf('+') + 1)).toList());
        for (Node n : r.nodes()) {
            SnapshotSettings s = SnapshotSettings.read(n).orElseThrow(() -> new AssertionError(n.clientId() + " has no snap:snapshot"));
            assertTrue(s.enabled(), n.clientId());
            assertEquals(SnapshotMode.LIVE, s.mode(), n.clientId());
            assertEquals(EXAMPLE_AM, n.componentManagerId());
        }
        assertEquals(1, r.links().size());
        Link lan = r.links().get(0);
        assertEquals(3, lan.interfaceRefs().size());
        // The addresses the demo's workload uses are the ones the request gives.
        String text = Files.readString(ROOT.resolve(SliceDemo.EXAMPLE_REQUEST));
        GuestWorkload.ADDRESSES.forEach((node, ip) -> assertTrue(text.contains("<ip address=\"" + ip + "\""), node + " " + ip));
    }

    @Test
    void theDemoPutsItsOwnAmIntoTheExample() throws Exception {
        String mine = "urn:publicid:IDN+vnsnap:bed+authority+am";
        String req = SliceDemo.requestFor(mine);
        assertFalse(req.contains("IDN+" + SliceDemo.EXAMPLE_AUTHORITY), req);
        RSpec r = new RSpecReader().read(req);
        new RequestChecker(AggregateProfile.defaults(), mine).check(r);
        assertEquals("urn:publicid:IDN+vnsnap:bed+node+hostd2", r.nodes().get(2).componentId());
    }

    @Test
    void exampleOptionFilesUseOnlyTheSnapshotPluginsOptions() throws Exception {
        Set<String> known = Set.of(SnapshotPlugin.OPT_MODE, SnapshotPlugin.OPT_LABEL, SnapshotPlugin.OPT_INCLUDE_DISK,
                SnapshotPlugin.OPT_SNAPSHOT_ID);
        Map<String, Object> snap = SliceDemo.snapshotOptions();
        assertTrue(known.containsAll(snap.keySet()), snap.toString());
        assertTrue(SnapshotMode.fromWire((String) snap.get(SnapshotPlugin.OPT_MODE)).isPresent(), snap.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> restore = new ObjectMapper().readValue(ROOT.resolve("docs/examples/restore-options.json").toFile(), Map.class);
        assertEquals(Set.of(SnapshotPlugin.OPT_SNAPSHOT_ID), restore.keySet());
    }

    @Test
    void everyExampleFileTheGuidesNameExistsAndEveryActionTheyUseIsOffered() throws Exception {
        Pattern file = Pattern.compile("docs/examples/[A-Za-z0-9._-]+");
        Pattern poa = Pattern.compile("poa \\S+ ([a-z_]+)");
        Set<String> actions = new TreeSet<>(List.of("geni_start", "geni_stop", "geni_restart", "geni_update_users",
                SnapshotPlugin.SNAPSHOT, SnapshotPlugin.RESTORE, SnapshotPlugin.DELETE));
        for (String guide : List.of("docs/experimenter-guide.md", "docs/operator-guide.md", "docs/demo.md")) {
            String text = Files.readString(ROOT.resolve(guide));
            Matcher m = file.matcher(text);
            while (m.find()) {
                assertTrue(Files.isRegularFile(ROOT.resolve(m.group())), guide + " names " + m.group() + ", which does not exist");
            }
            Matcher a = poa.matcher(text);
            while (a.find()) {
                assertTrue(actions.contains(a.group(1)), guide + " performs unknown action " + a.group(1));
            }
        }
    }
}
