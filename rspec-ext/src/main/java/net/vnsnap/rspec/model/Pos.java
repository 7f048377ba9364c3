package net.vnsnap.rspec.model;

/** Where an element's start tag ends in the parsed document (StAX reports the position after its '>'), for error messages. */
public record Pos(int line, int column) {

    /** The position of an element that was built in code rather than parsed. */
    public static final Pos NONE = new Pos(-1, -1);

    public boolean known() {
        return line > 0;
    }

    @Override
    public String toString() {
        return known() ? "line " + line + ", column " + column : "unknown position";
    }
}
