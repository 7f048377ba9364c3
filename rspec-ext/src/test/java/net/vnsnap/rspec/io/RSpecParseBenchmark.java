package net.vnsnap.rspec.io;

import java.io.ByteArrayInputStream;
import java.util.concurrent.atomic.AtomicInteger;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.Stats;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.rspec.LargeRequest;
import net.vnsnap.rspec.model.RSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * Parse time of generated requests (100, 1,000, 10,000 nodes) through our reader, whole-model and
 * streaming, against a plain hardened DOM parse of the same bytes measured in the same run.
 */
@Tag("benchmark")
class RSpecParseBenchmark {
    private static final int[] SIZES = {100, 1_000, 10_000};
    private static final long CAP = 64L << 20;

    @Test
    void parseTimes() throws Exception {
        BenchReport report = new BenchReport("rspec-parse",
                "RSpec request parse time: vnsnap model (StAX) vs plain SafeXml DOM of the same bytes");
        RSpecReader reader = new RSpecReader(CAP);
        for (int n : SIZES) {
            byte[] doc = LargeRequest.bytes(n);
            int runs = n >= 10_000 ? 11 : 31;
            int warm = n >= 10_000 ? 5 : n >= 1_000 ? 20 : 100;
            double[] model = new double[runs];
            double[] stream = new double[runs];
            double[] dom = new double[runs];
            for (int i = -warm; i < runs; i++) {
                // Interleaved so that drift (JIT, GC, frequency) affects all three alike.
                long t0 = System.nanoTime();
                RSpec r = reader.read(doc);
                long t1 = System.nanoTime();
                AtomicInteger count = new AtomicInteger();
                reader.stream(new ByteArrayInputStream(doc), p -> count.incrementAndGet());
                long t2 = System.nanoTime();
                Document d = SafeXml.parse(new ByteArrayInputStream(doc), CAP);
                long t3 = System.nanoTime();
                if (r.nodes().size() != n || d.getDocumentElement() == null || count.get() < n) {
                    throw new AssertionError("parse lost nodes");
                }
                if (i >= 0) {
                    model[i] = (t1 - t0) / 1e6;
                    stream[i] = (t2 - t1) / 1e6;
                    dom[i] = (t3 - t2) / 1e6;
                }
            }
            Stats m = new Stats(model);
            Stats s = new Stats(stream);
            Stats b = new Stats(dom);
            String label = String.format("%,d nodes (%,d KiB)", n, doc.length / 1024);
            report.add("model read, " + label, "ms", m);
            report.add("streaming read, " + label, "ms", s);
            report.add("baseline SafeXml DOM parse, " + label, "ms", b);
            report.ratio(String.format("model/DOM time, %,d nodes", n), m.median() / b.median(),
                    "median model read over median DOM parse of the same bytes; < 1 means faster than DOM");
            report.ratio(String.format("streaming/DOM time, %,d nodes", n), s.median() / b.median(),
                    "median streaming read over median DOM parse");
        }
        report.publish(System.out);
    }
}
