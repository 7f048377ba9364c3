package net.vnsnap.rspec;

import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.rspec.model.Pos;

/** A request RSpec the AM refuses, answered with geni_code BADARGS and a message that names the line. */
public class RSpecException extends GeniException {
    private static final long serialVersionUID = 1L;

    /** 1-based line of the offending element, or -1 when unknown (e.g. an element built in code). */
    private final int line;
    /** 1-based column the parser reported for that element, or -1 when unknown. */
    private final int column;
    /** The message without the position prefix, for callers that format positions themselves. */
    private final String detail;

    public RSpecException(int line, int column, String detail, Throwable cause) {
        super(GeniCode.BADARGS, prefix(line, column) + detail, cause);
        this.line = line;
        this.column = column;
        this.detail = detail;
    }

    /** An error about the element at {@code pos}. */
    public static RSpecException at(Pos pos, String detail) {
        Pos p = pos == null ? Pos.NONE : pos;
        return new RSpecException(p.line(), p.column(), detail, null);
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public String detail() {
        return detail;
    }

    private static String prefix(int line, int column) {
        return line > 0 ? "line " + line + ", column " + column + ": " : "";
    }
}
