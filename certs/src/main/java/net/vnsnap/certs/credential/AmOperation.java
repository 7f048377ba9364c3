package net.vnsnap.certs.credential;

import java.util.Locale;

/**
 * Operations a credential privilege may allow, named as in the reference rights table; the AM asks for
 * the one behind each API call (Allocate/Provision/POA: CREATE_SLIVER, Status/Describe: GET_SLICE_RESOURCES, ...).
 */
public enum AmOperation {
    /** ListResources: any valid credential suffices, no privilege is needed. */
    LIST_RESOURCES(null),
    CREATE_SLIVER("createsliver"),
    RENEW_SLIVER("renewsliver"),
    DELETE_SLICE("deleteslice"),
    DELETE_SLIVER("deletesliver"),
    GET_SLICE_RESOURCES("getsliceresources"),
    SLIVER_STATUS("sliverstatus"),
    SHUTDOWN("shutdown"),
    CREATE_SLICE("createslice"),
    UPDATE_SLICE("updateslice"),
    START_SLICE("startslice"),
    STOP_SLICE("stopslice"),
    RESET_SLICE("resetslice"),
    GET_TICKET("getticket"),
    REDEEM_TICKET("redeemticket"),
    REDEEM_SLICE("redeemslice"),
    LOAN_RESOURCES("loanresources"),
    LIST_SLICES("listslices"),
    LIST_NODES("listnodes"),
    GET_POLICY("getpolicy"),
    GET_GIDS("getgids"),
    GET_TRUSTED_CERTS("gettrustedcerts"),
    RESOLVE("resolve"),
    LIST("list"),
    GET_CREDENTIAL("getcredential"),
    REGISTER("register"),
    REMOVE("remove"),
    UPDATE("update"),
    SET_BOOT_STATE("setbootstate"),
    GET_BOOT_STATE("getbootstate"),
    REBOOT("reboot");

    /** The operation's name in the rights table, or null when no privilege is required. */
    private final String tableName;

    AmOperation(String tableName) {
        this.tableName = tableName;
    }

    /** The name used in messages and in the reference rights table. */
    public String tableName() {
        return tableName == null ? name().toLowerCase(Locale.ROOT) : tableName;
    }

    /** True when any valid credential allows this operation. */
    public boolean needsNoPrivilege() {
        return tableName == null;
    }
}
