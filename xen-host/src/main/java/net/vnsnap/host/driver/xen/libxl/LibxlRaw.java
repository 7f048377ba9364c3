package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** Raw mirror of the libxenlight (libxl 4.17) functions the Xen driver uses; see the package comment. */
public interface LibxlRaw extends Library {
    /** {@code LIBXL_VERSION}: the only context version libxl accepts. */
    int LIBXL_VERSION = 0;
    /** {@code LIBXL_SUSPEND_LIVE}: pre-copy while the domain runs. */
    int LIBXL_SUSPEND_LIVE = 2;
    /** {@code LIBXL_SHUTDOWN_REASON_SUSPEND}, from {@code libxl_shutdown_reason}. */
    int LIBXL_SHUTDOWN_REASON_SUSPEND = 2;
    /** {@code libxl_sigchld_owner_libxl_always_selective_reap}: libxl reaps only its own children. */
    int LIBXL_SIGCHLD_OWNER_LIBXL_ALWAYS_SELECTIVE_REAP = 3;
    /** {@code LIBXL_CHECKPOINTED_STREAM_NONE}: a plain save image, not a Remus/COLO stream. */
    int LIBXL_CHECKPOINTED_STREAM_NONE = 0;

    int libxl_ctx_alloc(PointerByReference pctx, int version, int flags, Pointer lg);

    int libxl_ctx_free(Pointer ctx);

    void libxl_childproc_setmode(Pointer ctx, LibxlChildprocHooks hooks, Pointer user);

    void libxl_domain_config_init(Pointer d_config);

    void libxl_domain_config_dispose(Pointer d_config);

    int libxl_domain_config_from_json(Pointer ctx, Pointer p, String s);

    /** Returns a malloc'd string the caller frees with libc {@code free}. */
    Pointer libxl_domain_config_to_json(Pointer ctx, Pointer p);

    int libxl_domain_create_new(Pointer ctx, Pointer d_config, IntByReference domid, Pointer ao_how, Pointer aop_console_how);

    int libxl_domain_create_restore(Pointer ctx, Pointer d_config, IntByReference domid, int restore_fd, int send_back_fd,
            LibxlDomainRestoreParams params, Pointer ao_how, Pointer aop_console_how);

    void libxl_domain_restore_params_init(LibxlDomainRestoreParams p);

    void libxl_domain_restore_params_dispose(LibxlDomainRestoreParams p);

    int libxl_retrieve_domain_configuration(Pointer ctx, int domid, Pointer d_config, Pointer ao_how);

    int libxl_domain_suspend(Pointer ctx, int domid, int fd, int flags, Pointer ao_how);

    int libxl_domain_resume(Pointer ctx, int domid, int suspend_cancel, Pointer ao_how);

    int libxl_domain_pause(Pointer ctx, int domid, Pointer ao_how);

    int libxl_domain_unpause(Pointer ctx, int domid, Pointer ao_how);

    int libxl_domain_destroy(Pointer ctx, int domid, Pointer ao_how);

    /** {@code info_r} may be null to test whether the domain exists. */
    int libxl_domain_info(Pointer ctx, Pointer info_r, int domid);

    void libxl_dominfo_init(Pointer p);

    void libxl_dominfo_dispose(Pointer p);

    Pointer libxl_dominfo_to_json(Pointer ctx, Pointer p);

    int libxl_name_to_domid(Pointer ctx, String name, IntByReference domid);

    int libxl_get_physinfo(Pointer ctx, Pointer physinfo);

    void libxl_physinfo_init(Pointer p);

    void libxl_physinfo_dispose(Pointer p);

    Pointer libxl_physinfo_to_json(Pointer ctx, Pointer p);

    /** A pointer into the context; never freed by the caller. */
    Pointer libxl_get_version_info(Pointer ctx);

    Pointer libxl_version_info_to_json(Pointer ctx, Pointer p);
}
