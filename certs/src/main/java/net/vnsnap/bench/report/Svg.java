package net.vnsnap.bench.report;

import java.util.Locale;

/**
 * A small SVG document writer: escapes every text and attribute, refuses non-finite coordinates and prints
 * numbers with two decimals, so the same figures always give the same bytes.
 */
final class Svg {
    private final StringBuilder b = new StringBuilder();
    private final double width;
    private final double height;

    Svg(double width, double height, String title, String description) {
        this.width = width;
        this.height = height;
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(n(width)).append("\" height=\"").append(n(height))
                .append("\" viewBox=\"0 0 ").append(n(width)).append(' ').append(n(height))
                .append("\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        b.append("<title>").append(esc(title)).append("</title>\n");
        b.append("<desc>").append(esc(description)).append("</desc>\n");
        b.append("<rect class=\"background\" x=\"0\" y=\"0\" width=\"").append(n(width)).append("\" height=\"").append(n(height))
                .append("\" fill=\"#ffffff\"/>\n");
    }

    double width() {
        return width;
    }

    double height() {
        return height;
    }

    /** A rectangle; {@code tip} (may be null) becomes its tooltip. */
    Svg rect(String cls, double x, double y, double w, double h, String fill, String tip) {
        b.append("<rect class=\"").append(esc(cls)).append("\" x=\"").append(n(x)).append("\" y=\"").append(n(y))
                .append("\" width=\"").append(n(Math.max(0, w))).append("\" height=\"").append(n(Math.max(0, h)))
                .append("\" fill=\"").append(esc(fill)).append('"');
        return close("rect", tip);
    }

    /** A line; {@code dash} null for a solid one. */
    Svg line(String cls, double x1, double y1, double x2, double y2, String stroke, double strokeWidth, String dash, String tip) {
        b.append("<line class=\"").append(esc(cls)).append("\" x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1))
                .append("\" x2=\"").append(n(x2)).append("\" y2=\"").append(n(y2)).append("\" stroke=\"").append(esc(stroke))
                .append("\" stroke-width=\"").append(n(strokeWidth)).append('"');
        if (dash != null) {
            b.append(" stroke-dasharray=\"").append(esc(dash)).append('"');
        }
        return close("line", tip);
    }

    /** Text anchored at (x, y): anchor is start, middle or end; {@code style} extra attributes or "". */
    Svg text(String cls, double x, double y, String anchor, String text, String style) {
        b.append("<text class=\"").append(esc(cls)).append("\" x=\"").append(n(x)).append("\" y=\"").append(n(y))
                .append("\" text-anchor=\"").append(anchor).append('"');
        if (!style.isEmpty()) {
            b.append(' ').append(style);
        }
        b.append('>').append(esc(text)).append("</text>\n");
        return this;
    }

    /** Text turned a quarter anticlockwise about its anchor (for a vertical axis label). */
    Svg verticalText(String cls, double x, double y, String text) {
        return text(cls, x, y, "middle", text, "transform=\"rotate(-90 " + n(x) + ' ' + n(y) + ")\"");
    }

    private Svg close(String element, String tip) {
        if (tip == null) {
            b.append("/>\n");
        } else {
            b.append("><title>").append(esc(tip)).append("</title></").append(element).append(">\n");
        }
        return this;
    }

    String finish() {
        return b + "</svg>\n";
    }

    /** A coordinate or size with two decimals; a non-finite one is a bug in the caller's scaling. */
    static String n(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("non-finite coordinate " + v);
        }
        String s = String.format(Locale.ROOT, "%.2f", v);
        if (s.endsWith(".00")) {
            s = s.substring(0, s.length() - 3);
        }
        return "-0".equals(s) ? "0" : s;
    }

    static String esc(String s) {
        StringBuilder o = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> o.append("&amp;");
                case '<' -> o.append("&lt;");
                case '>' -> o.append("&gt;");
                case '"' -> o.append("&quot;");
                case '\'' -> o.append("&apos;");
                default -> {
                    // XML 1.0 forbids most control characters even escaped; they never carry meaning in a label.
                    if (c >= 0x20 || c == '\t' || c == '\n') {
                        o.append(c);
                    }
                }
            }
        }
        return o.toString();
    }
}
