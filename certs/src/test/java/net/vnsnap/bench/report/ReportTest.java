package net.vnsnap.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.vnsnap.bench.BenchReport;
import net.vnsnap.bench.SnapshotFigures;
import net.vnsnap.bench.Stats;
import net.vnsnap.certs.xml.SafeXml;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The report generator on synthetic benchmark figures: each picture's structure, scaling and labels, and the tables. */
class ReportTest {

    static final Instant T0 = Instant.parse("2026-11-26T16:00:00Z");

    static Stats st(double... v) {
        return new Stats(v);
    }

    static Instant at(double ms) {
        return T0.plusNanos(Math.round(ms * 1e6));
    }

    static Map<String, Duration> steps(Object... nameMs) {
        Map<String, Duration> m = new LinkedHashMap<>();
        for (int i = 0; i < nameMs.length; i += 2) {
            m.put((String) nameMs[i], Duration.ofNanos(Math.round(((Number) nameMs[i + 1]).doubleValue() * 1e6)));
        }
        return m;
    }

    /** A slice-snapshot benchmark report as SliceSnapshotBenchmark builds it: four configurations, a cow and a live timeline. */
    static BenchReport sliceReport() {
        BenchReport r = new BenchReport("slice-snapshot", "3 VMs on 2 hosts");
        r.add("cow hold_and_record: VM downtime (every VM)", "ms", st(10, 12, 14));
        r.add("stop hold_and_record: VM downtime (every VM)", "ms", st(400, 420, 500));
        r.ratio("stop / cow downtime", 35.0, "stop-and-copy baseline");
        SnapshotFigures f = new SnapshotFigures();
        String[][] configs = {{"cow hold_and_record", "cow"}, {"live hold_and_record", "live"}, {"stop hold_and_record", "stop"},
            {"cow drop", "cow"}};
        double[] base = {10, 60, 400, 12};
        for (int c = 0; c < configs.length; c++) {
            SnapshotFigures.Config k = f.config(configs[c][0], configs[c][1], configs[c][0].split(" ")[1], configs[c][1].equals("stop"));
            for (int v = 1; v <= 3; v++) {
                double m = base[c] * v;
                k.downtime("vm" + v, st(m * 0.9, m, m * 1.2));
            }
            k.throughput("TCP", st(0.8 - c * 0.1, 0.85 - c * 0.1, 0.9 - c * 0.1));
            k.throughput("UDP", st(0.9, 0.95, 1.0));
        }
        SnapshotFigures.Timeline t = f.timeline("cow hold_and_record", "cow", T0).commonCut(at(500))
                .slicePhase("prepare", at(0), at(100)).slicePhase("take", at(100), at(1500)).slicePhase("commit", at(1500), at(1700));
        for (int v = 1; v <= 3; v++) {
            t.vm("vm" + v, v < 3 ? "h1" : "h2", at(500 + v), Duration.ofMillis(10 * v), at(400),
                    steps("configure", 100, "pause", 5, "disk-overlays", 10, "cut-hook", 1, "write-memory", 900));
        }
        SnapshotFigures.Timeline live = f.timeline("live hold_and_record", "live", T0)
                .slicePhase("prepare", at(0), at(50)).slicePhase("take", at(50), at(3000)).slicePhase("commit", at(3000), at(3100));
        for (int v = 1; v <= 3; v++) {
            live.vm("vm" + v, "h1", at(2000 + 100 * v), Duration.ofMillis(40), at(60),
                    steps("configure", 10, "pre-copy", 1930 + 100 * v, "disk-overlays", 3, "cut-hook", 1, "final-copy", 40, "resume", 1));
        }
        f.attachTo(r);
        return r;
    }

    static BenchReport otherReport() {
        return new BenchReport("rspec-parse", "parse | validate <rspec> & friends")
                .add("parse small request", "us", st(10, 11, 12))
                .add("parse large request", "us", st(100, 110, 120))
                .add("validate <large> & check", "us", st(300, 310, 330))
                .add("documents per second", "1/s", st(9000, 9100, 9200))
                .ratio("cached / uncached", 3.5, "the uncached parser | same run");
    }

    static Map<String, String> files(BenchReport... reports) throws Exception {
        StringBuilder b = new StringBuilder("{\"run\":{\"date\":\"2026-11-26T16:00Z\"},\"benchmarks\":[");
        for (int i = 0; i < reports.length; i++) {
            b.append(i > 0 ? "," : "").append(reports[i].toJson());
        }
        return Report.of(BenchRun.parse(b.append("]}").toString())).files();
    }

    static Document svg(String text) throws Exception {
        return SafeXml.parse(text, SafeXml.DEFAULT_MAX_BYTES);
    }

    static List<Element> all(Document d, String tag, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList l = d.getElementsByTagName(tag);
        for (int i = 0; i < l.getLength(); i++) {
            Element e = (Element) l.item(i);
            if (cls == null || cls.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }

    static List<String> texts(Document d, String cls) {
        return all(d, "text", cls).stream().map(Element::getTextContent).toList();
    }

    static double num(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }

    /** Every coordinate of every element is a finite number inside the viewBox, and the picture has a title. */
    static void assertWellFormedPicture(Document d) {
        Element root = d.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        String[] vb = root.getAttribute("viewBox").split(" ");
        double w = Double.parseDouble(vb[2]);
        double h = Double.parseDouble(vb[3]);
        assertFalse(all(d, "title", null).get(0).getTextContent().isBlank());
        for (String tag : List.of("rect", "line", "text")) {
            for (Element e : all(d, tag, null)) {
                for (String a : List.of("x", "x1", "x2")) {
                    if (e.hasAttribute(a)) {
                        double v = num(e, a);
                        assertTrue(Double.isFinite(v) && v >= 0 && v <= w, tag + " " + a + "=" + v + " outside 0.." + w);
                    }
                }
                for (String a : List.of("y", "y1", "y2")) {
                    if (e.hasAttribute(a)) {
                        double v = num(e, a);
                        assertTrue(Double.isFinite(v) && v >= 0 && v <= h, tag + " " + a + "=" + v + " outside 0.." + h);
                    }
                }
                if (e.hasAttribute("width")) {
                    assertTrue(num(e, "x") + num(e, "width") <= w + 0.01, "rect runs off the right edge");
                    assertTrue(num(e, "y") + num(e, "height") <= h + 0.01, "rect runs off the bottom edge");
                }
            }
        }
    }

    @Test
    void theTimelineHasARowPerVmWithItsStepsPauseAndCutAndTheCommonCut() throws Exception {
        Document d = svg(files(sliceReport()).get(Report.TIMELINE));
        assertWellFormedPicture(d);
        assertEquals(15, all(d, "rect", "phase").size()); // 3 VMs x 5 steps
        assertEquals(3, all(d, "rect", "slice-phase").size());
        assertEquals(3, all(d, "rect", "downtime").size());
        assertEquals(3, all(d, "line", "vm-cut").size());
        assertEquals(1, all(d, "line", "common-cut").size());
        assertEquals(List.of("coordinator", "vm1 @ h1", "vm2 @ h1", "vm3 @ h2"), texts(d, "row-label"));
        assertTrue(texts(d, "axis-label").contains("time since the snapshot request (ms)"));
        assertTrue(texts(d, "title").get(0).contains("cow hold_and_record"));
        List<String> legend = texts(d, "legend");
        assertTrue(legend.contains("memory write-out"), legend.toString());
        assertTrue(legend.contains("commit (durable, verified)"), legend.toString());
        assertTrue(legend.contains("common cut instant"), legend.toString());

        // One linear axis: a step's width is proportional to its duration, its x to its start.
        List<Element> vm1 = all(d, "rect", "phase").subList(0, 5);
        double configureW = num(vm1.get(0), "width");
        double writeW = num(vm1.get(4), "width");
        assertEquals(9.0, writeW / configureW, 0.05);
        Element common = all(d, "line", "common-cut").get(0);
        Element cut1 = all(d, "line", "vm-cut").get(0);
        Element prepare = all(d, "rect", "slice-phase").get(0);
        double msPerPx = 100 / num(prepare, "width");
        assertEquals(1.0, (num(cut1, "x1") - num(common, "x1")) * msPerPx, 0.1); // vm1 cut 1 ms after the common cut
        assertEquals(500, (num(common, "x1") - num(prepare, "x")) * msPerPx, 0.5);
        assertTrue(texts(d, "tick").contains("0"));

        // The zoom panel: the same rows over the cuts and pauses (500 to 533 ms, with margins, rounded to ticks).
        assertEquals(List.of("around the cut: 490 to 545 ms, same rows"), texts(d, "zoom-title"));
        assertEquals(15, all(d, "rect", "zoom-phase").size()); // every VM step reaches into the window
        assertEquals(1, all(d, "rect", "zoom-slice-phase").size()); // only "take" does of the coordinator's
        assertEquals(3, all(d, "line", "zoom-vm-cut").size());
        assertEquals(1, all(d, "line", "zoom-common-cut").size());
        List<Element> zoomed = all(d, "rect", "zoom-phase");
        double zoomPxPerMs = num(zoomed.get(1), "width") / 5; // vm1's pause command: 500 to 505 ms
        assertEquals(10.0, num(zoomed.get(2), "width") / zoomPxPerMs, 0.05); // its disk freeze: 10 ms
        Element zoomCommon = all(d, "line", "zoom-common-cut").get(0);
        assertEquals(num(zoomed.get(1), "x"), num(zoomCommon, "x1"), 0.01); // the pause command starts at the common cut
    }

    @Test
    void aLiveTimelineHasNoCommonCutAndItsOwnFile() throws Exception {
        Map<String, String> f = files(sliceReport());
        Document d = svg(f.get("timeline-live-hold-and-record.svg"));
        assertWellFormedPicture(d);
        assertEquals(0, all(d, "line", "common-cut").size());
        assertEquals(3, all(d, "line", "vm-cut").size());
        assertEquals(18, all(d, "rect", "phase").size());
        assertTrue(texts(d, "legend").contains("pre-copy (memory copied while running)"));
        assertFalse(f.containsKey("timeline-cow-hold-and-record.svg"), "the main timeline is not drawn twice");
    }

    @Test
    void theDowntimeChartHasABarAndWhiskerPerVmAndModeWithTheBaselineShaded() throws Exception {
        Document d = svg(files(sliceReport()).get(Report.DOWNTIME));
        assertWellFormedPicture(d);
        List<Element> bars = all(d, "rect", "bar");
        assertEquals(12, bars.size());
        assertEquals(12, all(d, "line", "whisker").size());
        assertEquals(1, all(d, "rect", "baseline-band").size());
        assertEquals(List.of("cow hold_and_record", "live hold_and_record", "stop hold_and_record", "cow drop"), texts(d, "group-label"));
        assertEquals(List.of("(baseline)"), texts(d, "baseline-label"));
        assertEquals(List.of("vm1", "vm2", "vm3"), texts(d, "legend"));
        // Heights scale linearly: stop's vm2 (800 ms) is twice stop's vm1 (400 ms) and 80 times cow's vm1 (10 ms).
        double stop1 = num(bars.get(6), "height");
        assertEquals(2.0, num(bars.get(7), "height") / stop1, 0.01);
        assertEquals(40.0, stop1 / num(bars.get(0), "height"), 0.5);
        assertTrue(texts(d, "value").contains("800"));
        Element band = all(d, "rect", "baseline-band").get(0);
        double bx = num(bars.get(7), "x");
        assertTrue(bx > num(band, "x") && bx < num(band, "x") + num(band, "width"), "the shaded band is behind the stop bars");
        assertTrue(all(d, "text", "axis-label").get(0).getTextContent().contains("(ms)"));
    }

    @Test
    void theThroughputChartHasTwoFlowsPerModeAndTheNoSnapshotAndBaselineLines() throws Exception {
        Document d = svg(files(sliceReport()).get(Report.THROUGHPUT));
        assertWellFormedPicture(d);
        List<Element> bars = all(d, "rect", "bar");
        assertEquals(8, bars.size());
        assertEquals(List.of("TCP", "UDP"), texts(d, "legend"));
        List<String> refs = texts(d, "reference-label");
        assertEquals(2, refs.size());
        assertEquals("without a snapshot = 1", refs.get(0));
        assertEquals("baseline stop hold_and_record (TCP) = 0.650", refs.get(1));
        // The "= 1" line lies at the top of a bar whose median is 1 would: compare with UDP's 0.95 bar.
        Element one = all(d, "line", "reference").get(0);
        Element udp = bars.get(1);
        double bottom = num(udp, "y") + num(udp, "height");
        assertEquals(0.95, (bottom - num(udp, "y")) / (bottom - num(one, "y1")), 0.005);
    }

    @Test
    void otherBenchmarksGetABarPerRowInAPanelPerUnit() throws Exception {
        Map<String, String> f = files(otherReport());
        Document d = svg(f.get("bench-rspec-parse.svg"));
        assertWellFormedPicture(d);
        assertEquals(4, all(d, "rect", "bar").size());
        assertEquals(List.of("unit: us", "unit: 1/s"), texts(d, "panel-label"));
        assertTrue(texts(d, "row-label").contains("validate <large> & check"));
        List<Element> bars = all(d, "rect", "bar");
        assertEquals(10.0, num(bars.get(1), "width") / num(bars.get(0), "width"), 0.01); // 110 vs 11
        assertFalse(f.containsKey(Report.TIMELINE));
    }

    @Test
    void theMarkdownHasASectionAndATableRowPerMetricWithEscapedCells() throws Exception {
        String md = files(sliceReport(), otherReport()).get(Report.MARKDOWN);
        assertTrue(md.contains("| date | 2026-11-26T16:00Z |"));
        assertTrue(md.contains("## rspec-parse\n"));
        assertTrue(md.contains("## slice-snapshot\n"));
        assertTrue(md.indexOf("## rspec-parse") < md.indexOf("## slice-snapshot"), "sorted by name");
        assertTrue(md.contains("| parse large request | us | 110 | 10.0 | 120 | 100 | 120 | 3 |"), md);
        assertTrue(md.contains("| cached / uncached | 3.50 | the uncached parser \\| same run |"), md);
        assertTrue(md.contains("parse \\| validate") || md.contains("parse | validate <rspec>"), "description kept");
        assertTrue(md.contains("![timeline of one slice snapshot](timeline.svg)"));
        assertTrue(md.contains("![downtime per mode](downtime.svg)"));
        assertTrue(md.contains("![throughput during the snapshot](throughput.svg)"));
        assertTrue(md.contains("(bench-rspec-parse.svg)"));
        long tableRows = md.lines().filter(l -> l.startsWith("| ") && l.endsWith(" |") && l.contains(" | ms | ")).count();
        assertEquals(2, tableRows);
    }

    @Test
    void theSameFiguresGiveTheSameBytes() throws Exception {
        assertEquals(files(sliceReport(), otherReport()), files(sliceReport(), otherReport()));
    }

    @Test
    void missingFiguresAreDrawnAsNotAvailableNotAsGarbage() throws Exception {
        String json = "{\"benchmarks\":[{\"benchmark\":\"x\",\"description\":\"\",\"rows\":[{\"metric\":\"m\",\"unit\":\"ms\",\"median\":null,"
                + "\"mad\":null,\"p95\":null,\"min\":null,\"max\":null,\"n\":0},{\"metric\":\"k\",\"unit\":\"ms\",\"median\":2,\"mad\":0,"
                + "\"p95\":2,\"min\":2,\"max\":2,\"n\":1}],\"ratios\":[]}]}";
        Map<String, String> f = Report.of(BenchRun.parse(json)).files();
        Document d = svg(f.get("bench-x.svg"));
        assertWellFormedPicture(d);
        assertEquals(1, all(d, "rect", "bar").size());
        assertTrue(texts(d, "value").contains("n/a"));
        assertTrue(f.get(Report.MARKDOWN).contains("| m | ms | n/a | n/a | n/a | n/a | n/a | 0 |"));
    }

    @Test
    void malformedInputIsRefusedWithAReason() {
        assertTrue(assertThrows(ReportException.class, () -> BenchRun.parse("{\"benchmarks\":[{\"rows\":[]}]}")).getMessage()
                .contains("\"benchmark\" name"));
        assertTrue(assertThrows(ReportException.class, () -> BenchRun.parse("[1,2]")).getMessage().contains("JSON object"));
        assertTrue(assertThrows(ReportException.class, () -> BenchRun.parse("{\"benchmark\":\"a\",\"rows\":{}}")).getMessage()
                .contains("must be an array"));
        String dup = "{\"benchmarks\":[{\"benchmark\":\"a\"},{\"benchmark\":\"a\"}]}";
        assertTrue(assertThrows(ReportException.class, () -> BenchRun.parse(dup)).getMessage().contains("twice"));
        String noVms = "{\"benchmark\":\"s\",\"timeline\":{\"config\":\"cow\",\"vms\":[]}}";
        assertTrue(assertThrows(ReportException.class, () -> Report.of(BenchRun.parse(noVms))).getMessage().contains("no VMs"));
        String badStep = "{\"benchmark\":\"s\",\"timeline\":{\"config\":\"cow\",\"vms\":[{\"vm\":\"a\",\"phases\":{\"p\":[1]}}]}}";
        assertTrue(assertThrows(ReportException.class, () -> Report.of(BenchRun.parse(badStep))).getMessage().contains("[from, to]"));
    }

    @Test
    void scaleTicksAreRoundAndCoverTheData() {
        Scale s = new Scale(1730, 1, 100, 900, 10);
        assertEquals(1800, s.max());
        assertEquals(List.of(0.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0, 1400.0, 1600.0, 1800.0), s.ticks());
        assertEquals(500, s.at(900), 1e-9);
        assertEquals(900, s.at(5000), 1e-9); // clamped
        assertEquals("0.5", new Scale(0.9, 0, 0, 1, 4).label(0.5));
        assertEquals(List.of(0.0, 0.05, 0.1), new Scale(0.09, 0, 0, 1, 4).ticks().stream().map(t -> Math.round(t * 100) / 100.0).toList());
        assertEquals("0.05", new Scale(0.09, 0, 0, 1, 4).label(0.05));
        Scale r = Scale.range(491.75, 541.25, 0, 110, 10);
        assertEquals(490, r.min());
        assertEquals(545, r.max());
        assertEquals(0, r.at(490), 1e-9);
        assertEquals(20, r.at(500), 1e-9);
        assertEquals("-5", Scale.range(-3, 9, 0, 1, 4).label(-5));
        assertThrows(IllegalArgumentException.class, () -> Svg.n(Double.NaN));
        assertEquals("&lt;a&gt; &amp; &quot;b&quot;", Svg.esc("<a> & \"b\"\u0001"));
    }
}
