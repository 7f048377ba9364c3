package net.vnsnap.rspec.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.rspec.Fixtures;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import net.vnsnap.rspec.snapshot.SnapshotSettings;
import org.junit.jupiter.api.Test;

class RequestCheckerTest {

    /** A request whose root is line 1, so the first body line is line 2. */
    static String request(String body) {
        return "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" xmlns:snap=\"http://vnsnap.net/rspec/ext/snapshot/1\""
                + " type=\"request\">\n" + body + "</rspec>\n";
    }

    static String vm(String id, String extra) {
        return "  <node client_id=\"" + id + "\" exclusive=\"false\">\n"
                + "    <sliver_type name=\"xen-vm\"/>\n"
                + "    <interface client_id=\"" + id + ":if0\"/>\n"
                + extra
                + "  </node>\n";
    }

    static String lan(String id, String... ifs) {
        StringBuilder b = new StringBuilder("  <link client_id=\"" + id + "\">\n");
        for (String i : ifs) {
            b.append("    <interface_ref client_id=\"").append(i).append("\"/>\n");
        }
        return b.append("  </link>\n").toString();
    }

    /** Checks that the request fails with exactly this detail at this line, in the documented format. */
    static RSpecException expect(String xml, int line, String detail) throws Exception {
        return expect(new RequestChecker(), xml, line, detail);
    }

    static RSpecException expect(RequestChecker checker, String xml, int line, String detail) throws Exception {
        RSpec r = new RSpecReader().read(xml);
        RSpecException e = assertThrows(RSpecException.class, () -> checker.check(r));
        assertEquals(detail, e.detail());
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.column() > 0);
        assertEquals("line " + line + ", column " + e.column() + ": " + detail, e.getMessage());
        assertEquals(GeniCode.BADARGS, e.code());
        return e;
    }

    @Test
    void realisticRequestsPass() throws Exception {
        for (String f : List.of("/requests/jfed-request.xml", "/requests/omni-request.xml")) {
            new RequestChecker().check(new RSpecReader().read(Fixtures.text(f)));
        }
    }

    @Test
    void requestWithoutTheExtensionIsValidAndNotSnapshotEnabled() throws Exception {
        RSpec r = new RSpecReader().read(request(vm("a", "") + vm("b", "") + lan("l", "a:if0", "b:if0")));
        new RequestChecker().check(r);
        assertFalse(SnapshotSettings.of(r.nodes().get(0)).enabled());
        assertTrue(SnapshotSettings.read(r.nodes().get(0)).isEmpty());
    }

    @Test
    void emulabXenIsReadAsXenVm() throws Exception {
        RSpec r = new RSpecReader().read(Fixtures.text("/requests/omni-request.xml"));
        assertEquals(SliverKind.XEN_VM, r.nodes().get(0).sliverType().orElseThrow().kind().orElseThrow());
        assertEquals("emulab-xen", r.nodes().get(0).sliverType().orElseThrow().name(), "the name is kept as written");
    }

    @Test
    void duplicateClientId() throws Exception {
        String second = "  <node client_id=\"vm1\">\n    <sliver_type name=\"xen-vm\"/>\n  </node>\n";
        expect(request(vm("vm1", "") + second), 6, "node 'vm1': client_id 'vm1' is already used on line 2");
    }

    @Test
    void duplicateInterfaceClientIdAcrossNodes() throws Exception {
        String xml = request(vm("a", "") + "  <node client_id=\"b\">\n    <interface client_id=\"a:if0\"/>\n  </node>\n");
        RSpecException e = expect(xml, 7, "node 'b': interface 'a:if0': client_id 'a:if0' is already used on line 4");
        assertTrue(e.getMessage().startsWith("line 7, column "));
    }

    @Test
    void interfaceRefToUnknownInterface() throws Exception {
        expect(request(vm("vm1", "") + vm("vm2", "") + lan("lan0", "vm1:if0", "vm9:if0")), 12,
                "link 'lan0': interface_ref 'vm9:if0' names no interface in this request");
    }

    @Test
    void linkWithOneInterface() throws Exception {
        expect(request(vm("vm1", "") + lan("lan0", "vm1:if0")), 6,
                "link 'lan0': a link needs at least two interfaces, this one has 1");
    }

    @Test
    void badIpAddress() throws Exception {
        String xml = request("  <node client_id=\"a\">\n    <interface client_id=\"a:if0\">\n"
                + "      <ip address=\"10.0.0.256\" netmask=\"255.255.255.0\" type=\"ipv4\"/>\n    </interface>\n  </node>\n");
        expect(xml, 4, "node 'a': interface 'a:if0': ip address '10.0.0.256' is not an IPv4 or IPv6 address");
    }

    @Test
    void badNetmask() throws Exception {
        String xml = request("  <node client_id=\"a\">\n    <interface client_id=\"a:if0\">\n"
                + "      <ip address=\"10.0.0.1\" netmask=\"255.0.255.0\" type=\"ipv4\"/>\n    </interface>\n  </node>\n");
        expect(xml, 4, "node 'a': interface 'a:if0': netmask '255.0.255.0' is not a valid IPv4 netmask"
                + " (contiguous, like 255.255.255.0, or a prefix length 0-32)");
    }

    @Test
    void ipv6AndPrefixLengthsAreAccepted() throws Exception {
        String xml = request("  <node client_id=\"a\">\n    <interface client_id=\"a:if0\">\n"
                + "      <ip address=\"2001:db8::1\" netmask=\"64\" type=\"ipv6\"/>\n"
                + "      <ip address=\"::ffff:10.0.0.1\" netmask=\"96\" type=\"ipv6\"/>\n"
                + "      <ip address=\"10.0.0.1\" netmask=\"16\" type=\"ipv4\"/>\n    </interface>\n  </node>\n");
        new RequestChecker().check(new RSpecReader().read(xml));
        assertFalse(IpAddresses.isIpv6("2001:db8:::1"));
        assertFalse(IpAddresses.isIpv6("1:2:3:4:5:6:7:8:9"));
        assertFalse(IpAddresses.isIpv4("010.0.0.1"));
    }

    @Test
    void unknownSliverType() throws Exception {
        String xml = request("  <node client_id=\"a\">\n    <sliver_type name=\"docker\"/>\n  </node>\n");
        expect(xml, 3, "node 'a': unknown sliver type 'docker'; this aggregate offers xen-vm, qemu-vm"
                + " (emulab-xen is read as xen-vm)");
    }

    @Test
    void delayNodesAreNotOfferedHere() throws Exception {
        RSpec r = new RSpecReader().read(Fixtures.text("/requests/jfed-delay-request.xml"));
        RSpecException e = assertThrows(RSpecException.class, () -> new RequestChecker().check(r));
        assertTrue(e.detail().startsWith("node 'shaper': unknown sliver type 'delay'"), e.getMessage());
    }

    @Test
    void badDiskImageName() throws Exception {
        String xml = request("  <node client_id=\"a\">\n    <sliver_type name=\"xen-vm\">\n"
                + "      <disk_image name=\"urn:publicid:IDN+emulab.net+node+pc1\"/>\n    </sliver_type>\n  </node>\n");
        expect(xml, 4, "node 'a': disk image 'urn:publicid:IDN+emulab.net+node+pc1' is a URN of type 'node', not 'image'");
    }

    @Test
    void diskImagesByUrnOrShortName() throws Exception {
        RSpec r = new RSpecReader().read(Fixtures.text("/requests/omni-request.xml"));
        var ref = r.nodes().get(0).sliverType().orElseThrow().diskImage().orElseThrow().ref();
        assertTrue(ref.isUrn());
        assertEquals("emulab.net", ref.authority());
        assertEquals("emulab-ops//UBUNTU22-64-STD", ref.imageName());
        RSpec j = new RSpecReader().read(Fixtures.text("/requests/jfed-request.xml"));
        var shortRef = j.node("db").orElseThrow().sliverType().orElseThrow().diskImage().orElseThrow().ref();
        assertFalse(shortRef.isUrn());
        assertEquals("debian-12", shortRef.imageName());
    }

    @Test
    void snapshotScheduleShorterThanAMinute() throws Exception {
        expect(request(vm("a", "    <snap:snapshot schedule=\"PT30S\"/>\n")), 5,
                "node 'a': snapshot schedule 'PT30S' is shorter than the minimum of one minute (PT1M)");
    }

    @Test
    void snapshotScheduleNotADuration() throws Exception {
        expect(request(vm("a", "    <snap:snapshot schedule=\"P1M\"/>\n")), 5,
                "node 'a': snapshot schedule 'P1M' is not an ISO-8601 duration in days, hours, minutes and seconds"
                        + " (e.g. PT30M, P1D)");
    }

    @Test
    void snapshotRetainBelowOne() throws Exception {
        expect(request(vm("a", "    <snap:snapshot retain=\"0\"/>\n")), 5, "node 'a': snapshot retain '0' must be at least 1");
    }

    @Test
    void snapshotUnknownMode() throws Exception {
        expect(request(vm("a", "    <snap:snapshot mode=\"hot\"/>\n")), 5,
                "node 'a': snapshot mode 'hot' is not one of live, cow, stop");
    }

    @Test
    void snapshotScheduleOnADisabledNode() throws Exception {
        expect(request(vm("a", "    <snap:snapshot enabled=\"false\" schedule=\"PT1H\"/>\n")), 5,
                "node 'a': snapshot schedule 'PT1H' is given but the node is not snapshot-enabled (enabled='false')");
    }

    @Test
    void snapshotModeTheSliverKindCannotHave() throws Exception {
        AggregateProfile p = new AggregateProfile(Map.of(SliverKind.XEN_VM, EnumSet.allOf(SnapshotMode.class),
                SliverKind.QEMU_VM, EnumSet.of(SnapshotMode.COW, SnapshotMode.STOP)), true, 32);
        String xml = request("  <node client_id=\"q\">\n    <sliver_type name=\"qemu-vm\"/>\n"
                + "    <snap:snapshot mode=\"live\"/>\n  </node>\n");
        expect(new RequestChecker(p), xml, 4,
                "node 'q': snapshot mode 'live' is not available for qemu-vm slivers here (available: cow, stop)");
    }

    @Test
    void snapshotRetainAboveTheLimit() throws Exception {
        expect(request(vm("a", "    <snap:snapshot retain=\"500\"/>\n")), 5,
                "node 'a': snapshot retain '500' exceeds this aggregate's limit of 32");
    }

    @Test
    void snapshotDiskWhereDisksCannotBeIncluded() throws Exception {
        AggregateProfile p = new AggregateProfile(AggregateProfile.defaults().modes(), false, 8);
        expect(new RequestChecker(p), request(vm("a", "    <snap:snapshot/>\n")), 5,
                "node 'a': this aggregate cannot include disks in snapshots; set include_disk='false'");
    }

    @Test
    void nodesForOtherAggregatesAreJudgedThere() throws Exception {
        String body = "  <node client_id=\"pc\" component_manager_id=\"urn:publicid:IDN+utah.geniracks.net+authority+cm\">\n"
                + "    <sliver_type name=\"raw-pc\"/>\n    <interface client_id=\"pc:if0\"/>\n  </node>\n"
                + vm("a", "") + lan("l", "pc:if0", "a:if0");
        RSpec r = new RSpecReader().read(request(body));
        new RequestChecker(AggregateProfile.defaults(), "urn:publicid:IDN+vnsnap.example.net+authority+am").check(r);
        expect(request(body), 3, "node 'pc': unknown sliver type 'raw-pc'; this aggregate offers xen-vm, qemu-vm"
                + " (emulab-xen is read as xen-vm)");
    }

    @Test
    void notARequest() throws Exception {
        String xml = "<rspec xmlns=\"http://www.geni.net/resources/rspec/3\" type=\"manifest\">\n</rspec>";
        expect(xml, 1, "rspec type is 'manifest', but a request RSpec is needed here");
    }

    @Test
    void severalProblemsAreCountedAndAllListed() throws Exception {
        String xml = request(vm("a", "    <snap:snapshot retain=\"0\"/>\n") + lan("l", "a:if0"));
        RSpec r = new RSpecReader().read(xml);
        RSpecException e = assertThrows(RSpecException.class, () -> new RequestChecker().check(r));
        assertTrue(e.getMessage().endsWith("(and 1 more problem)"), e.getMessage());
        assertEquals(2, new RequestChecker().problems(r).size());
    }
}
