package net.vnsnap.host.driver.xen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import net.vnsnap.host.driver.xen.libxl.LibcRaw;
import net.vnsnap.host.driver.xen.libxl.LibxlChildprocHooks;
import net.vnsnap.host.driver.xen.libxl.LibxlDomainRestoreParams;
import net.vnsnap.host.driver.xen.libxl.LibxlRaw;
import net.vnsnap.host.driver.xen.libxl.RawLibraries;
import net.vnsnap.host.driver.xen.libxl.XenStoreRaw;
import net.vnsnap.host.driver.xen.libxl.XenToolLogRaw;

/**
 * The idiomatic libxl layer: one libxl context, Java types in and out, every result code funnelled through
 * {@link #check} into a {@link LibxlException} with a closed {@link LibxlError}. JNA types end here.
 */
final class Libxl implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Room for an opaque {@code libxl_domain_config}; far above its size in 4.17, cleared before init. */
    static final int DOMAIN_CONFIG_BYTES = 64 * 1024;
    /** Room for an opaque {@code libxl_dominfo} or {@code libxl_physinfo} (both are a few hundred bytes). */
    static final int SMALL_STRUCT_BYTES = 4096;
    /** The libxl stream version of a save written by this libxl (xl: STREAMv2 in the header means 2). */
    static final int STREAM_VERSION_2 = 2;

    /** Kept to open sibling contexts on the same libraries. */
    private final RawLibraries raw;
    private final LibxlRaw xl;
    private final LibcRaw libc;
    private final XenToolLogRaw xtl;
    private final XenStoreRaw xs;
    private final Pointer ctx;
    private final Pointer logger;
    /** Only the first context destroys the logger its siblings share. */
    private final boolean ownsLogger;
    /** libxl keeps a pointer to the hooks for the context's lifetime, so they must stay reachable. */
    private final LibxlChildprocHooks hooks;
    /**
     * One long libxl operation (create, restore, save) at a time per context: two concurrent saves on one context killed
     * hostd with SIGABRT on the nested test host. Saves that should overlap each take a sibling context
     * ({@link LibxlContexts}), as two xl processes would. Short calls (info, pause, unpause, destroy) do not take it.
     */
    private final java.util.concurrent.locks.ReentrantLock longOperation = new java.util.concurrent.locks.ReentrantLock(true);

    private Libxl(RawLibraries raw, Pointer ctx, Pointer logger, boolean ownsLogger, LibxlChildprocHooks hooks) {
        this.raw = raw;
        this.ownsLogger = ownsLogger;
        this.xl = raw.libxl();
        this.libc = raw.libc();
        this.xtl = raw.xtl();
        this.xs = raw.xenstore();
        this.ctx = ctx;
        this.logger = logger;
        this.hooks = hooks;
    }

    /**
     * Opens a context whose log goes to stderr at {@code logLevel} (an {@code xentoollog_level}). libxl is told to
     * reap only its own children, because the JVM reaps the processes it starts itself.
     */
    static Libxl open(RawLibraries raw, int logLevel) throws LibxlException {
        Pointer stderr = raw.libc().fdopen(2, "w");
        // Line-buffered, so libxl's last words before an abort() reach the log.
        raw.libc().setvbuf(stderr, null, LibcRaw._IOLBF, 0);
        Pointer lg = raw.xtl().xtl_createlogger_stdiostream(stderr, logLevel,
                XenToolLogRaw.XTL_STDIOSTREAM_SHOW_DATE | XenToolLogRaw.XTL_STDIOSTREAM_HIDE_PROGRESS);
        if (lg == null) {
            throw new LibxlException("xtl_createlogger_stdiostream", LibxlError.NOMEM.code(), LibxlError.NOMEM, "no logger");
        }
        try {
            return open(raw, lg, true);
        } catch (LibxlException e) {
            raw.xtl().xtl_logger_destroy(lg);
            throw e;
        }
    }

    /**
     * Another context on the same libraries and logger, for a long operation that should not wait for this one's; the
     * selective reaping lets several contexts share the process.
     */
    Libxl sibling() throws LibxlException {
        return open(raw, logger, false);
    }

    private static Libxl open(RawLibraries raw, Pointer lg, boolean ownsLogger) throws LibxlException {
        PointerByReference p = new PointerByReference();
        int rc = raw.libxl().libxl_ctx_alloc(p, LibxlRaw.LIBXL_VERSION, 0, lg);
        if (rc != 0) {
            throw new LibxlException("libxl_ctx_alloc", rc, LibxlError.of(rc), "is this a Xen dom0 with xenstored running?");
        }
        LibxlChildprocHooks hooks = new LibxlChildprocHooks();
        hooks.chldowner = LibxlRaw.LIBXL_SIGCHLD_OWNER_LIBXL_ALWAYS_SELECTIVE_REAP;
        hooks.write();
        raw.libxl().libxl_childproc_setmode(p.getValue(), hooks, null);
        return new Libxl(raw, p.getValue(), lg, ownsLogger, hooks);
    }

    /** The error funnel: every libxl result code passes here. */
    static void check(String call, int rc, String detail) throws LibxlException {
        if (rc != 0) {
            throw new LibxlException(call, rc, LibxlError.of(rc), detail);
        }
    }

    /** Creates a domain from libxl JSON; libxl leaves it paused before its first instruction. */
    int createNew(String configJson) throws LibxlException {
        try (DomainConfig dc = parseConfig(configJson)) {
            IntByReference domid = new IntByReference(-1);
            longOperation.lock();
            try {
                check("libxl_domain_create_new", xl.libxl_domain_create_new(ctx, dc.mem, domid, null, null), null);
            } finally {
                longOperation.unlock();
            }
            return domid.getValue();
        }
    }

    /**
     * Creates a domain from a save stream on {@code fd} (positioned after the xl header); libxl leaves it paused.
     * On failure the half-built domain, if any, is destroyed.
     */
    int createRestore(String configJson, int fd, int streamVersion) throws LibxlException {
        try (DomainConfig dc = parseConfig(configJson)) {
            LibxlDomainRestoreParams params = new LibxlDomainRestoreParams();
            xl.libxl_domain_restore_params_init(params);
            params.read();
            params.checkpointed_stream = LibxlRaw.LIBXL_CHECKPOINTED_STREAM_NONE;
            params.stream_version = streamVersion;
            params.write();
            IntByReference domid = new IntByReference(-1);
            longOperation.lock();
            try {
                int rc = xl.libxl_domain_create_restore(ctx, dc.mem, domid, fd, -1, params, null, null);
                if (rc != 0 && domid.getValue() > 0 && domid.getValue() < 0x7ff0) {
                    xl.libxl_domain_destroy(ctx, domid.getValue(), null);
                }
                check("libxl_domain_create_restore", rc, null);
                return domid.getValue();
            } finally {
                longOperation.unlock();
                xl.libxl_domain_restore_params_dispose(params);
            }
        }
    }

    /** The domain's configuration as libxl JSON, as {@code xl save} writes it (the domid is not pinned). */
    String savedConfigJson(int domid) throws LibxlException {
        try (DomainConfig dc = new DomainConfig()) {
            check("libxl_retrieve_domain_configuration", xl.libxl_retrieve_domain_configuration(ctx, domid, dc.mem, null), null);
            String json = takeString("libxl_domain_config_to_json", xl.libxl_domain_config_to_json(ctx, dc.mem));
            return DomainConfigJson.unpinDomid(json);
        }
    }

    /** Saves the domain to {@code fd}: live (pre-copy while it runs) or stopped; it is left suspended. */
    void suspend(int domid, int fd, boolean live) throws LibxlException {
        longOperation.lock();
        try {
            check("libxl_domain_suspend", xl.libxl_domain_suspend(ctx, domid, fd, live ? LibxlRaw.LIBXL_SUSPEND_LIVE : 0, null), null);
        } finally {
            longOperation.unlock();
        }
    }

    /** Resumes a suspended domain; with {@code suspendCancel} the guest continues where it was (xl save -c). */
    void resume(int domid, boolean suspendCancel) throws LibxlException {
        check("libxl_domain_resume", xl.libxl_domain_resume(ctx, domid, suspendCancel ? 1 : 0, null), null);
    }

    void pause(int domid) throws LibxlException {
        check("libxl_domain_pause", xl.libxl_domain_pause(ctx, domid, null), null);
    }

    void unpause(int domid) throws LibxlException {
        check("libxl_domain_unpause", xl.libxl_domain_unpause(ctx, domid, null), null);
    }

    void destroy(int domid) throws LibxlException {
        check("libxl_domain_destroy", xl.libxl_domain_destroy(ctx, domid, null), null);
    }

    /** The domain's state, or empty when Xen has no such domain. */
    Optional<DomainInfo> info(int domid) throws LibxlException {
        Memory m = cleared(SMALL_STRUCT_BYTES);
        xl.libxl_dominfo_init(m);
        try {
            int rc = xl.libxl_domain_info(ctx, m, domid);
            if (rc != 0 && LibxlError.of(rc).domainGone()) {
                return Optional.empty();
            }
            check("libxl_domain_info", rc, "domain " + domid);
            JsonNode j = readJson("libxl_dominfo_to_json", xl.libxl_dominfo_to_json(ctx, m));
            return Optional.of(new DomainInfo(j.path("domid").asInt(domid), j.path("running").asBoolean(), j.path("blocked").asBoolean(),
                    j.path("paused").asBoolean(), j.path("shutdown").asBoolean(), j.path("dying").asBoolean(),
                    j.path("shutdown_reason").asText(""), j.path("max_memkb").asLong()));
        } finally {
            xl.libxl_dominfo_dispose(m);
        }
    }

    /** The domid of a named domain, or empty. */
    OptionalInt domid(String name) {
        IntByReference d = new IntByReference(-1);
        return xl.libxl_name_to_domid(ctx, name, d) == 0 ? OptionalInt.of(d.getValue()) : OptionalInt.empty();
    }

    /** virt_caps and version. */
    HostCaps hostCaps() throws LibxlException {
        Memory m = cleared(SMALL_STRUCT_BYTES);
        xl.libxl_physinfo_init(m);
        try {
            check("libxl_get_physinfo", xl.libxl_get_physinfo(ctx, m), null);
            JsonNode p = readJson("libxl_physinfo_to_json", xl.libxl_physinfo_to_json(ctx, m));
            Pointer vi = xl.libxl_get_version_info(ctx);
            if (vi == null) {
                throw new LibxlException("libxl_get_version_info", LibxlError.FAIL.code(), LibxlError.FAIL, "no version information");
            }
            JsonNode v = readJson("libxl_version_info_to_json", xl.libxl_version_info_to_json(ctx, vi));
            String version = v.path("xen_version_major").asInt() + "." + v.path("xen_version_minor").asInt() + v.path("xen_version_extra").asText("");
            return new HostCaps(version, p.path("cap_pv").asBoolean(), p.path("cap_hvm").asBoolean(), p.path("cap_hap").asBoolean(),
                    p.path("cap_shadow").asBoolean());
        } finally {
            xl.libxl_physinfo_dispose(m);
        }
    }

    /** Opens (creating or truncating) a file for the save stream; returns the descriptor. */
    int openForWrite(Path file) throws LibxlException {
        int fd = libc.open(file.toAbsolutePath().toString(), LibcRaw.O_WRONLY | LibcRaw.O_CREAT | LibcRaw.O_TRUNC | LibcRaw.O_CLOEXEC, 0644);
        if (fd < 0) {
            throw system("open", file.toString());
        }
        return fd;
    }

    /** Opens a file for reading, positioned at {@code offset}. */
    int openForRead(Path file, long offset) throws LibxlException {
        int fd = libc.open(file.toAbsolutePath().toString(), LibcRaw.O_RDONLY | LibcRaw.O_CLOEXEC, 0);
        if (fd < 0) {
            throw system("open", file.toString());
        }
        if (libc.lseek(fd, offset, LibcRaw.SEEK_SET) != offset) {
            LibxlException e = system("lseek", file.toString());
            libc.close(fd);
            throw e;
        }
        return fd;
    }

    /** Writes all of {@code bytes} to {@code fd}. */
    void writeFully(int fd, byte[] bytes) throws LibxlException {
        byte[] rest = bytes;
        while (rest.length > 0) {
            long n = libc.write(fd, rest, rest.length);
            if (n <= 0) {
                throw system("write", "fd " + fd);
            }
            rest = java.util.Arrays.copyOfRange(rest, (int) n, rest.length);
        }
    }

    /** Flushes the file to stable storage and closes it. */
    void syncAndClose(int fd) throws LibxlException {
        int s = libc.fsync(fd);
        int c = libc.close(fd);
        if (s != 0) {
            throw system("fsync", "fd " + fd);
        }
        if (c != 0) {
            throw system("close", "fd " + fd);
        }
    }

    /** Sets a watch on a xenstore node over a connection of its own (closed with the watch). */
    XenStoreWatch watch(String path, String token) throws LibxlException {
        return XenStoreWatch.open(xs, libc, path, token);
    }

    void closeQuietly(int fd) {
        if (fd >= 0) {
            libc.close(fd);
        }
    }

    @Override
    public void close() {
        xl.libxl_ctx_free(ctx);
        if (ownsLogger) {
            xtl.xtl_logger_destroy(logger);
        }
    }

    /** A failed libc or libxenstore call, with the errno JNA kept for this thread. */
    static LibxlException system(String call, String what) {
        int errno = com.sun.jna.Native.getLastError();
        return new LibxlException(call, -errno, LibxlError.SYSTEM, what);
    }

    private DomainConfig parseConfig(String json) throws LibxlException {
        DomainConfig dc = new DomainConfig();
        try {
            check("libxl_domain_config_from_json", xl.libxl_domain_config_from_json(ctx, dc.mem, json), "the generated domain configuration");
            return dc;
        } catch (LibxlException e) {
            dc.close();
            throw e;
        }
    }

    /** Copies a malloc'd C string from libxl and frees it. */
    private String takeString(String call, Pointer p) throws LibxlException {
        if (p == null) {
            throw new LibxlException(call, LibxlError.FAIL.code(), LibxlError.FAIL, "returned NULL");
        }
        try {
            return p.getString(0, "UTF-8");
        } finally {
            libc.free(p);
        }
    }

    private JsonNode readJson(String call, Pointer p) throws LibxlException {
        String s = takeString(call, p);
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new LibxlException(call, LibxlError.FAIL.code(), LibxlError.FAIL, "unreadable JSON: " + e.getMessage());
        }
    }

    private static Memory cleared(int bytes) {
        Memory m = new Memory(bytes);
        m.clear();
        return m;
    }

    /** An initialized {@code libxl_domain_config}, disposed on close. */
    private final class DomainConfig implements AutoCloseable {
        final Memory mem = cleared(DOMAIN_CONFIG_BYTES);

        DomainConfig() {
            xl.libxl_domain_config_init(mem);
        }

        @Override
        public void close() {
            xl.libxl_domain_config_dispose(mem);
        }
    }
}
