package net.vnsnap.host.driver.xen;

/** The closed set of libxl result codes ({@code libxl_error} in _libxl_types.h), plus UNKNOWN for anything else. */
public enum LibxlError {
    NONSPECIFIC(-1), VERSION(-2), FAIL(-3), NI(-4), NOMEM(-5), INVAL(-6), BADFAIL(-7), GUEST_TIMEDOUT(-8), TIMEDOUT(-9),
    NOPARAVIRT(-10), NOT_READY(-11), OSEVENT_REG_FAIL(-12), BUFFERFULL(-13), UNKNOWN_CHILD(-14), LOCK_FAIL(-15),
    JSON_CONFIG_EMPTY(-16), DEVICE_EXISTS(-17), CHECKPOINT_DEVOPS_DOES_NOT_MATCH(-18), CHECKPOINT_DEVICE_NOT_SUPPORTED(-19),
    VNUMA_CONFIG_INVALID(-20), DOMAIN_NOTFOUND(-21), ABORTED(-22), NOTFOUND(-23), DOMAIN_DESTROYED(-24), FEATURE_REMOVED(-25),
    PROTOCOL_ERROR_QMP(-26), UNKNOWN_QMP_ERROR(-27), QMP_GENERIC_ERROR(-28), QMP_COMMAND_NOT_FOUND(-29),
    QMP_DEVICE_NOT_ACTIVE(-30), QMP_DEVICE_NOT_FOUND(-31), QEMU_API(-32),
    /** A C library call failed (the code is -errno); not a libxl code. */
    SYSTEM(0),
    /** A code this build does not know. */
    UNKNOWN(Integer.MIN_VALUE);

    private final int code;

    LibxlError(int code) {
        this.code = code;
    }

    /** libxl's numeric value ({@code ERROR_*}). */
    public int code() {
        return code;
    }

    /** The reason for a negative libxl return code. */
    public static LibxlError of(int rc) {
        for (LibxlError e : values()) {
            if (e.code == rc && e != SYSTEM) {
                return e;
            }
        }
        return UNKNOWN;
    }

    /** The domain does not exist (any more). */
    public boolean domainGone() {
        return this == DOMAIN_NOTFOUND || this == NOTFOUND || this == DOMAIN_DESTROYED;
    }

    /** Xen or the guest cannot do what was asked here (a missing feature rather than a transient failure). */
    public boolean unsupported() {
        return this == NI || this == NOPARAVIRT || this == FEATURE_REMOVED;
    }
}
