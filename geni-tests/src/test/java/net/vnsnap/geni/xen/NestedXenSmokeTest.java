package net.vnsnap.geni.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.geni.testbed.Checkout;
import net.vnsnap.geni.testbed.NestedXenHost;
import net.vnsnap.host.api.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Boots a real Xen 4.17 host nested in QEMU (TCG) with vnsnap-hostd in dom0 and checks it from outside: hostd answers
 * {@code info()} over mutual TLS, Xen offers HAP, and a PVH domU boots. Runs only with -Dvnsnap.xen.tests=true or
 * VNSNAP_XEN_TESTS=1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NestedXenSmokeTest {

    private NestedXenHost host;

    @BeforeAll
    void boot() throws Exception {
        assumeTrue(NestedXenHost.testsEnabled(), NestedXenHost.switchHint());
        assumeTrue(Checkout.qemuPresent(), "QEMU is not installed (bin/lib/install-qemu.sh)");
        Path dir = Path.of("target", "nested-xen-smoke").toAbsolutePath();
        deleteTree(dir);
        LocalFederation fed = LocalFederation.create(dir.resolve("fed"), "vnsnap//xen", Duration.ofDays(30), Clock.systemUTC());
        fed.issueServer("am", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        host = NestedXenHost.boot(NestedXenHost.Settings.defaults(dir.resolve("host"), fed, "xen1", fed.serverDirectory("am")));
        System.out.printf("nested Xen host ready in %d s (attempt %d, image %s)%n", host.bootTime().toSeconds(), host.attemptsUsed(),
                host.image().key());
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (java.nio.file.Files.exists(dir)) {
            try (var w = java.nio.file.Files.walk(dir)) {
                for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void hostdAnswersInfoThroughTheForwardedPort() throws Exception {
        // Without the Xen driver hostd runs its QEMU driver, which has no QEMU to query in dom0.
        assumeTrue(host.hypervisor().equals("xen"), "this checkout's hostd has no Xen driver (hypervisor=xen), so info() cannot work in dom0");
        HostInfo info = host.agent(Duration.ofSeconds(60), Duration.ofSeconds(120)).info();
        assertEquals("xen1", info.hostId());
        assertEquals(host.hypervisor(), info.hypervisor(), "hostd reports the hypervisor it was configured with");
        assertTrue(info.freeSnapshotBytes() > 0, "free snapshot space reported: " + info);
        assertEquals(host.tunnelEndpoint(), info.tunnelEndpoint());
    }

    @Test
    void xenOffersHardwareAssistedPaging() throws Exception {
        String out = host.dom0Ok("xl info", Duration.ofSeconds(120));
        Matcher m = Pattern.compile("(?m)^virt_caps\\s*:\\s*(.*)$").matcher(out);
        assertTrue(m.find(), "xl info has no virt_caps line:\n" + out);
        assertTrue(List.of(m.group(1).trim().split("\\s+")).contains("hap"), "virt_caps lacks hap: " + m.group(1));
        assertTrue(out.contains("xen_version") && out.contains("4.17"), "not Xen 4.17:\n" + out);
    }

    @Test
    void aPvhDomUBootsWithTheProjectsGuestKernel() throws Exception {
        String cfg = """
                cat > /tmp/smoke.cfg <<'CFG'
                name="smoke"
                type="pvh"
                kernel="%s/vmlinux"
                ramdisk="%s"
                extra="console=hvc0 vm.name=smoke"
                memory=128
                vcpus=1
                on_crash="preserve"
                CFG
                """.formatted(NestedXenHost.GUEST_DIR, NestedXenHost.TINY_DOMU_INITRD);
        host.dom0Ok(cfg, Duration.ofSeconds(30));
        try {
            // xl create may abort after creating the domain (a known flake): the domain's existence decides.
            var created = host.dom0("xl create /tmp/smoke.cfg", Duration.ofSeconds(300));
            assertTrue(created.ok() || host.dom0("xl domid smoke", Duration.ofSeconds(60)).ok(), "xl create failed: " + created.output());
            String log = NestedXenHost.CONSOLE_LOG_DIR + "/guest-smoke.log";
            String seen = "";
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (System.nanoTime() < deadline && !seen.contains("COUNTER 2")) {
                Thread.sleep(3000);
                seen = host.dom0("cat " + log + " 2>/dev/null", Duration.ofSeconds(60)).output();
            }
            assertTrue(seen.contains("DOMU-BOOTED name=smoke"), "no boot marker in the domU console:\n" + seen);
            assertTrue(seen.contains("COUNTER 2"), "the domU does not keep running:\n" + seen);
            String list = host.dom0Ok("xl list", Duration.ofSeconds(60));
            assertTrue(list.contains("smoke"), list);
        } finally {
            host.dom0("xl destroy smoke", Duration.ofSeconds(120));
        }
    }
}
