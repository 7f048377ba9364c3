package net.vnsnap.certs.credential;

import static net.vnsnap.certs.credential.AmOperation.*;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Which operations each privilege name allows (the facts of the reference rights table) and delegation coverage. */
final class Rights {

    private static final Set<AmOperation> ALL = EnumSet.allOf(AmOperation.class);

    /** Privilege name to allowed operations; "authority" and ProtoGENI's "*" allow everything. */
    private static final Map<String, Set<AmOperation>> TABLE = Map.ofEntries(
            Map.entry("authority", ALL),
            Map.entry("*", ALL),
            Map.entry("refresh", EnumSet.of(REMOVE, UPDATE)),
            Map.entry("resolve", EnumSet.of(RESOLVE, LIST, GET_CREDENTIAL)),
            Map.entry("sa", EnumSet.of(GET_TICKET, REDEEM_SLICE, REDEEM_TICKET, CREATE_SLICE, CREATE_SLIVER, DELETE_SLICE,
                    DELETE_SLIVER, UPDATE_SLICE, GET_SLICE_RESOURCES, LOAN_RESOURCES, STOP_SLICE, START_SLICE, RENEW_SLIVER,
                    RESET_SLICE, LIST_SLICES, LIST_NODES, GET_POLICY, SLIVER_STATUS)),
            Map.entry("embed", EnumSet.of(GET_TICKET, REDEEM_SLICE, REDEEM_TICKET, CREATE_SLICE, CREATE_SLIVER, RENEW_SLIVER,
                    DELETE_SLICE, DELETE_SLIVER, UPDATE_SLICE, SLIVER_STATUS, GET_SLICE_RESOURCES, SHUTDOWN)),
            Map.entry("bind", EnumSet.of(GET_TICKET, LOAN_RESOURCES, REDEEM_TICKET)),
            Map.entry("control", EnumSet.of(UPDATE_SLICE, CREATE_SLICE, CREATE_SLIVER, RENEW_SLIVER, SLIVER_STATUS, STOP_SLICE,
                    START_SLICE, DELETE_SLICE, DELETE_SLIVER, RESET_SLICE, GET_SLICE_RESOURCES, GET_GIDS)),
            Map.entry("info", EnumSet.of(LIST_SLICES, LIST_NODES, GET_POLICY)),
            Map.entry("ma", EnumSet.of(SET_BOOT_STATE, GET_BOOT_STATE, REBOOT, GET_GIDS, GET_TRUSTED_CERTS)),
            Map.entry("operator", EnumSet.of(GET_TRUSTED_CERTS, GET_GIDS)));

    private Rights() {
    }

    /** Everything a set of privileges allows, including the operations that need no privilege. */
    static Set<AmOperation> operations(Collection<Privilege> privileges) {
        Set<AmOperation> out = EnumSet.noneOf(AmOperation.class);
        for (AmOperation op : AmOperation.values()) {
            if (op.needsNoPrivilege()) {
                out.add(op);
            }
        }
        for (Privilege p : privileges) {
            Set<AmOperation> ops = TABLE.get(p.name());
            if (ops != null) {
                out.addAll(ops);
            }
        }
        return out;
    }

    /**
     * True when {@code child} may be delegated from {@code parent}: the parent privilege is delegatable and
     * allows at least what the child does (an unknown child name needs the same name in the parent).
     */
    static boolean covers(Privilege parent, Privilege child) {
        if (!parent.canDelegate()) {
            return false;
        }
        if (parent.name().equals(child.name())) {
            return true;
        }
        Set<AmOperation> mine = TABLE.get(parent.name());
        Set<AmOperation> theirs = TABLE.get(child.name());
        return mine != null && theirs != null && mine.containsAll(theirs);
    }
}
