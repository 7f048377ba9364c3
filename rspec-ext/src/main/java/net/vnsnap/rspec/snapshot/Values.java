package net.vnsnap.rspec.snapshot;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import net.vnsnap.rspec.RSpecException;
import net.vnsnap.rspec.model.AnyElement;

/** Attribute parsing shared by the extension's elements, with messages that name the node and attribute. */
final class Values {
    /** The ISO-8601 durations we accept: days, hours, minutes, seconds (months and years have no fixed length). */
    private static final Pattern DURATION = Pattern.compile("P(\\d+D)?(T(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?");

    private Values() {
    }

    static Boolean bool(AnyElement e, String attr, String who) throws RSpecException {
        return net.vnsnap.rspec.io.RSpecReader.xsBoolean(e.attr(attr).orElse(null), e.pos(), who + "snapshot " + attr);
    }

    static Duration duration(AnyElement e, String attr, String who) throws RSpecException {
        String s = e.attr(attr).orElse(null);
        if (s == null) {
            return null;
        }
        String t = s.trim();
        if (!DURATION.matcher(t).matches() || t.equals("P") || t.endsWith("T")) {
            throw RSpecException.at(e.pos(), who + "snapshot " + attr + " '" + s
                    + "' is not an ISO-8601 duration in days, hours, minutes and seconds (e.g. PT30M, P1D)");
        }
        try {
            return Duration.parse(t);
        } catch (DateTimeParseException | ArithmeticException ex) {
            throw RSpecException.at(e.pos(), who + "snapshot " + attr + " '" + s + "' is out of range");
        }
    }

    static Long integer(AnyElement e, String attr, String who) throws RSpecException {
        String s = e.attr(attr).orElse(null);
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException ex) {
            throw RSpecException.at(e.pos(), who + "snapshot " + attr + " '" + s + "' is not a whole number");
        }
    }

    static Duration millis(AnyElement e, String attr, String who) throws RSpecException {
        String s = e.attr(attr).orElse(null);
        if (s == null) {
            return null;
        }
        try {
            BigDecimal ms = new BigDecimal(s.trim());
            if (ms.signum() < 0) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos(ms.movePointRight(6).longValueExact());
        } catch (NumberFormatException | ArithmeticException ex) {
            throw RSpecException.at(e.pos(), who + "snapshot " + attr + " '" + s
                    + "' is not a non-negative number of milliseconds");
        }
    }

    /** Milliseconds with up to three decimals, without a trailing ".000". */
    static String ms(Duration d) {
        return new BigDecimal(d.toNanos()).movePointLeft(6).setScale(3, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros().toPlainString();
    }

    static String who(String clientId) {
        return clientId == null ? "" : "node '" + clientId + "': ";
    }
}
