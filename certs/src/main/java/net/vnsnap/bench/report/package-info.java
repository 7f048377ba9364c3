/** The benchmark report: reads the benchmarks' JSON and writes a Markdown report with hand-written SVG charts. */
package net.vnsnap.bench.report;
