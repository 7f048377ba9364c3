package net.vnsnap.certs.xml;

/** An XML document that could not be read safely: malformed, forbidden (DOCTYPE, entities) or too large. */
public final class XmlInputException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the document was refused, so callers can pick the right GENI code. */
    public enum Kind { MALFORMED, FORBIDDEN_CONSTRUCT, TOO_LARGE }

    private final Kind kind;
    /** 1-based line of the problem, or -1 when the parser did not say. */
    private final int line;
    /** 1-based column of the problem, or -1 when the parser did not say. */
    private final int column;

    public XmlInputException(Kind kind, String message, int line, int column, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.line = line;
        this.column = column;
    }

    public Kind kind() {
        return kind;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** The message prefixed with "line L, column C: " when the position is known. */
    public String describe() {
        if (line > 0) {
            return "line " + line + ", column " + column + ": " + getMessage();
        }
        return getMessage();
    }
}
