package net.vnsnap.rspec.am;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.vnsnap.rspec.SchemaCheck;
import net.vnsnap.rspec.io.RSpecReader;
import net.vnsnap.rspec.io.RSpecWriter;
import net.vnsnap.rspec.model.DiskImage;
import net.vnsnap.rspec.model.Location;
import net.vnsnap.rspec.model.Login;
import net.vnsnap.rspec.model.Node;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;
import net.vnsnap.rspec.model.RSpecType;
import net.vnsnap.rspec.model.SliverKind;
import net.vnsnap.rspec.opstate.OpState;
import net.vnsnap.rspec.opstate.OpStateState;
import net.vnsnap.rspec.snapshot.SnapshotCapability;
import net.vnsnap.rspec.snapshot.SnapshotMode;
import org.junit.jupiter.api.Test;

class AdvertisementBuilderTest {
    static final String AM = "urn:publicid:IDN+vnsnap.example.net+authority+am";

    static RSpec ad() {
        DiskImage ubuntu = new DiskImage("urn:publicid:IDN+vnsnap.example.net+image+ubuntu-22.04", "Linux", "22.04",
                "Ubuntu 22.04 LTS, 64 bit", List.of(), List.of(), null);
        return new AdvertisementBuilder(AM).generated(Instant.parse("2026-11-26T14:00:00Z"))
                .expires(Instant.parse("2026-11-26T15:00:00Z"))
                .host(new HostOffer("urn:publicid:IDN+vnsnap.example.net+node+host1", "host1", true,
                        List.of(SliverKind.XEN_VM, SliverKind.QEMU_VM), List.of(ubuntu, DiskImage.of("debian-12")),
                        ubuntu.name(), "xen-host", Location.of("US", "40.4259", "-86.9081"),
                        new SnapshotCapability("xen", EnumSet.allOf(SnapshotMode.class), 512L << 30, true, 32),
                        Login.sshAdvertised("host1.vnsnap.example.net")))
                .host(new HostOffer("urn:publicid:IDN+vnsnap.example.net+node+host2", "host2", false,
                        List.of(SliverKind.QEMU_VM), List.of(DiskImage.of("debian-12")), null, "kvm-host", null,
                        new SnapshotCapability("qemu", Set.of(SnapshotMode.COW, SnapshotMode.STOP), 0, false, null)))
                .build();
    }

    @Test
    void advertisementValidatesAgainstPgV2AndOurSchema() throws Exception {
        String xml = RSpecWriter.toString(ad());
        SchemaCheck.pg2(xml, "ad.xsd");
        assertEquals(2, SchemaCheck.snapshotElements(xml));
        String loc = new RSpecReader().read(xml).attr(Ns.XSI, "schemaLocation").orElseThrow();
        assertTrue(loc.startsWith(Ns.GENI + " " + Ns.GENI_AD_XSD), loc);
        assertTrue(loc.contains(Ns.OPSTATE + " " + Ns.OPSTATE_AD_XSD), loc);
        assertTrue(loc.contains("http://vnsnap.net/rspec/ext/snapshot/1 http://vnsnap.net/rspec/ext/snapshot/1/snapshot.xsd"), loc);
    }

    @Test
    void advertisementReadsBack() throws Exception {
        String xml = RSpecWriter.toString(ad());
        RSpec back = new RSpecReader().read(xml);
        assertEquals(xml, RSpecWriter.toString(back), "a generated advertisement reads and writes back identically");
        assertEquals(RSpecType.ADVERTISEMENT, back.type());
        Node h1 = back.nodes().get(0);
        assertEquals(AM, h1.componentManagerId());
        assertEquals(List.of("xen-vm", "qemu-vm"), h1.sliverTypes().stream().map(t -> t.name()).toList());
        SnapshotCapability c = SnapshotCapability.read(h1).orElseThrow();
        assertEquals(EnumSet.allOf(SnapshotMode.class), c.modes());
        assertEquals(512L << 30, c.freeStorageBytes());
        SnapshotCapability c2 = SnapshotCapability.read(back.nodes().get(1)).orElseThrow();
        assertEquals(Set.of(SnapshotMode.COW, SnapshotMode.STOP), c2.modes());
        List<OpState> ops = OpState.read(back);
        assertEquals(1, ops.size());
        assertEquals(AM, ops.get(0).aggregateManagerId());
        assertEquals("geni_notready", ops.get(0).start());
        assertEquals(List.of("xen-vm", "qemu-vm"), ops.get(0).sliverTypes());
        OpStateState ready = ops.get(0).states().stream().filter(s -> s.name().equals("geni_ready")).findFirst().orElseThrow();
        assertTrue(ready.actions().stream().anyMatch(a -> a.name().equals("vnsnap_snapshot") && a.next().equals("geni_ready_busy")));
        assertEquals(OpState.vnsnap(AM, List.of("xen-vm", "qemu-vm")), ops.get(0));
    }

    @Test
    void aHostWithLoginsAdvertisesSshKeysInItsServices() throws Exception {
        String xml = RSpecWriter.toString(ad());
        RSpec back = new RSpecReader().read(xml);
        List<Login> h1 = back.nodes().get(0).services().orElseThrow().logins();
        assertEquals(1, h1.size());
        assertEquals("ssh-keys", h1.get(0).authentication());
        assertEquals("host1.vnsnap.example.net", h1.get(0).hostname());
        assertEquals(null, h1.get(0).port(), "ports differ per VM: the manifest gives them");
        assertEquals(null, h1.get(0).username());
        assertTrue(back.nodes().get(1).services().isEmpty(), "host2 offers no login");
        // Without a hostname (the AM does not know its hosts' SSH address) the ad is still valid PG v2.
        String bare = RSpecWriter.toString(new AdvertisementBuilder(AM).host(new HostOffer(
                "urn:publicid:IDN+vnsnap.example.net+node+host3", "host3", true, List.of(SliverKind.QEMU_VM),
                List.of(DiskImage.of("guest")), "guest", "qemu-host", null, null, Login.sshAdvertised(null))).build());
        SchemaCheck.pg2(bare, "ad.xsd");
        assertTrue(bare.contains("<login authentication=\"ssh-keys\"/>"), bare);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new HostOffer(
                "urn:publicid:IDN+vnsnap.example.net+node+host3", "host3", true, List.of(SliverKind.QEMU_VM), List.of(), null,
                null, null, null, Login.ssh("h", 22, "alice")), "a username or port has no place in an advertisement");
    }
}
