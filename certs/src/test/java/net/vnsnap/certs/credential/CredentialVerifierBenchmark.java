package net.vnsnap.certs.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Set;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.certs.testkit.Fixtures;
import net.vnsnap.certs.testkit.TestCredentials;
import net.vnsnap.certs.testkit.TestFederation;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.certs.testkit.TestPki;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Credential verifications per second on one thread, for the fixture slice credential and a three-level
 * delegation, with and without the chain cache, measured in the same run.
 */
@Tag("benchmark")
class CredentialVerifierBenchmark {

    private static final int RUNS = 9;
    private static final long RUN_NANOS = 400_000_000L;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final Set<AmOperation> NEEDED = Set.of(AmOperation.CREATE_SLIVER);

    /** One workload: a credential, its caller (as PEM, parsed per call like a TLS handshake would) and target. */
    private record Case(String xml, String callerPem, GeniUrn target, int depth) {
    }

    @Test
    void verificationsPerSecond() throws Exception {
        // Each call also parses the caller's PEM chain, as the AM gets fresh certificates from every TLS session.
        Case fixture = new Case(Fixtures.sliceCred(), Fixtures.text("alice-cert.pem"), Fixtures.urn(Fixtures.SLICE), 1);
        TrustRoots fixtureRoots = Fixtures.roots();
        TestFederation fed = new TestFederation();
        Case three = new Case(fed.threeLevels(TestCredentials.RSA_SHA1), TestPki.pem(fed.carol.chain()),
                Fixtures.urn(TestFederation.SLICE), 3);
        TrustRoots fedRoots = TrustRoots.of(List.of(fed.ca.cert()));

        BenchReport report = new BenchReport("certs-credential-verify",
                "geni_sfa credential verifications per second, one thread, chain cache on vs off in the same run");
        measure(report, "fixture slice credential", fixture, fixtureRoots);
        measure(report, "3-level delegation (alice>bob>carol)", three, fedRoots);
        report.publish(System.out);
    }

    private static void measure(BenchReport report, String label, Case c, TrustRoots roots) throws Exception {
        CredentialVerifier cached = new CredentialVerifier(roots, Fixtures.at(Fixtures.VALID), true);
        CredentialVerifier uncached = new CredentialVerifier(roots, Fixtures.at(Fixtures.VALID), false);
        assertEquals(c.depth, cached.verify(c.xml, GeniCertificate.readChain(c.callerPem), c.target, NEEDED).chainDepth());
        assertEquals(c.depth, uncached.verify(c.xml, GeniCertificate.readChain(c.callerPem), c.target, NEEDED).chainDepth());
        for (int i = 0; i < 3; i++) {
            rate(cached, c);
            rate(uncached, c);
        }
        double[] on = new double[RUNS];
        double[] off = new double[RUNS];
        double[] onCpu = new double[RUNS];
        double[] offCpu = new double[RUNS];
        double[] ratio = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            // Alternate the order so drift in machine load hits both alike.
            double[] a;
            double[] b;
            if (r % 2 == 0) {
                a = rate(cached, c);
                b = rate(uncached, c);
            } else {
                b = rate(uncached, c);
                a = rate(cached, c);
            }
            on[r] = a[0];
            onCpu[r] = a[1];
            off[r] = b[0];
            offCpu[r] = b[1];
            ratio[r] = onCpu[r] / offCpu[r];
        }
        report.add(label + ", cache, wall", "verif/s", new Stats(on));
        report.add(label + ", no cache, wall", "verif/s", new Stats(off));
        report.add(label + ", cache, per CPU-s", "verif/cpu-s", new Stats(onCpu));
        report.add(label + ", no cache, per CPU-s", "verif/cpu-s", new Stats(offCpu));
        report.ratio(label + ": cache on/off", new Stats(ratio).median(), "median of per-run ratios of per-CPU-second rates");
    }

    /**
     * Verifications per wall-clock second and per CPU-second of this thread during one timed run; the second
     * is the one-core figure on a machine shared with other work.
     */
    private static double[] rate(CredentialVerifier v, Case c) throws Exception {
        long cpu0 = CPU.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long end = start + RUN_NANOS;
        int n = 0;
        long now;
        do {
            v.verify(c.xml, GeniCertificate.readChain(c.callerPem), c.target, NEEDED);
            n++;
            now = System.nanoTime();
        } while (now < end);
        long cpu = CPU.getCurrentThreadCpuTime() - cpu0;
        return new double[] {n / ((now - start) / 1e9), n / (cpu / 1e9)};
    }
}
