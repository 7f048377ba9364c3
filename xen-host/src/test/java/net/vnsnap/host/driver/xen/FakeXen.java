package net.vnsnap.host.driver.xen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import net.vnsnap.host.driver.xen.libxl.LibcRaw;
import net.vnsnap.host.driver.xen.libxl.LibxlChildprocHooks;
import net.vnsnap.host.driver.xen.libxl.LibxlDomainRestoreParams;
import net.vnsnap.host.driver.xen.libxl.LibxlRaw;
import net.vnsnap.host.driver.xen.libxl.RawLibraries;
import net.vnsnap.host.driver.xen.libxl.XenStoreRaw;
import net.vnsnap.host.driver.xen.libxl.XenToolLogRaw;

/**
 * An in-memory Xen behind the raw libxl, xentoollog, libc and libxenstore interfaces: it records every call, simulates
 * domains (paused at creation, suspended by a save until resumed, asked to suspend through their control/shutdown
 * node first), writes a recognisable save stream to real files through its own file descriptors, and can be told to
 * fail a call with a libxl code.
 */
final class FakeXen implements LibxlRaw, XenToolLogRaw, LibcRaw, XenStoreRaw {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the fake save stream starts with; a restore refuses anything else. */
    static final String STREAM_MAGIC = "FAKE-LIBXL-STREAM-V2\n";

    /** One simulated domain. */
    static final class Dom {
        final int domid;
        final String name;
        final String configJson;
        volatile boolean paused = true;
        volatile boolean shutdown;
        volatile String reason = "";
        volatile boolean dying;
        final boolean restored;

        Dom(int domid, String name, String configJson, boolean restored) {
            this.domid = domid;
            this.name = name;
            this.configJson = configJson;
            this.restored = restored;
        }

        boolean suspended() {
            return shutdown && "suspend".equals(reason);
        }
    }

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Map<Integer, Dom> domains = new ConcurrentHashMap<>();
    private final Map<Long, String> configs = new ConcurrentHashMap<>();
    private final Map<Long, Integer> infoBuffers = new ConcurrentHashMap<>();
    private final Map<Integer, FileChannel> files = new ConcurrentHashMap<>();
    /** malloc'd strings handed out and not yet freed. */
    final Set<Long> unfreed = ConcurrentHashMap.newKeySet();
    private final Map<Long, Memory> live = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private int nextDomid = 1;
    private int nextFd = 100;
    int configInits;
    int configDisposes;
    volatile boolean capPv = true;
    volatile boolean capHvm = true;
    volatile boolean capHap = true;
    volatile boolean capShadow;
    /** How long a save keeps the domain suspended before writing its last pages (the watcher's chance to see it). */
    volatile long finalCopyMillis = 40;
    /** Runs during a live save's pre-copy, while the domain still runs (the guest writing its disk, say). */
    volatile IntConsumer duringPreCopy = d -> { };
    /** Bytes the live pre-copy's first pass writes (a hole, so the file grows without using disk), before duringPreCopy. */
    volatile long firstPassBytes = 0;
    /** Set at each restore: the bytes read from the fd. */
    volatile String restoredStream;
    volatile LibxlDomainRestoreParams lastRestoreParams;
    volatile String lastCreateJson;

    /** Whether xs_open connects (false: as if xenstored were unreachable). */
    volatile boolean xenstoreUp = true;
    /** How long a guest takes between libxl's suspend request and its suspension (the watcher's chance to see it). */
    volatile long suspendRequestMillis = 40;
    /** One set watch: its connection, node and token. */
    private record Watch(long handle, String path, String token) {
    }

    private final List<Watch> watches = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Fired watch events (path, token) waiting on each connection. */
    private final Map<Long, java.util.Queue<String[]>> events = new ConcurrentHashMap<>();

    RawLibraries libraries() {
        return new RawLibraries(this, this, this, this);
    }

    /** Writes a xenstore node: every watch on it fires. */
    void writeNode(String path) {
        for (Watch w : watches) {
            if (path.equals(w.path) || path.startsWith(w.path + "/")) {
                java.util.Queue<String[]> q = events.get(w.handle);
                if (q != null) {
                    q.add(new String[] {path, w.token});
                }
            }
        }
    }

    /** Watches set and not yet removed. */
    int openWatches() {
        return watches.size();
    }

    /** Makes the next call of {@code function} return {@code rc}. */
    synchronized void failNext(String function, int rc) {
        failures.put(function, rc);
    }

    private synchronized int failure(String function) {
        Integer rc = failures.remove(function);
        return rc == null ? 0 : rc;
    }

    private void call(String s) {
        calls.add(s);
    }

    synchronized Dom byName(String name) {
        return domains.values().stream().filter(d -> d.name.equals(name)).findFirst().orElse(null);
    }

    private Pointer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(b.length + 1);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        unfreed.add(Pointer.nativeValue(m));
        live.put(Pointer.nativeValue(m), m);
        return m;
    }

    // ---- libxl ----

    @Override
    public int libxl_ctx_alloc(PointerByReference pctx, int version, int flags, Pointer lg) {
        call("libxl_ctx_alloc version=" + version);
        int rc = failure("libxl_ctx_alloc");
        if (rc != 0) {
            return rc;
        }
        Memory ctx = new Memory(8);
        live.put(Pointer.nativeValue(ctx), ctx);
        pctx.setValue(ctx);
        return 0;
    }

    @Override
    public int libxl_ctx_free(Pointer ctx) {
        call("libxl_ctx_free");
        return 0;
    }

    @Override
    public void libxl_childproc_setmode(Pointer ctx, LibxlChildprocHooks hooks, Pointer user) {
        call("libxl_childproc_setmode owner=" + hooks.chldowner);
    }

    @Override
    public synchronized void libxl_domain_config_init(Pointer d_config) {
        configInits++;
        configs.remove(Pointer.nativeValue(d_config));
    }

    @Override
    public synchronized void libxl_domain_config_dispose(Pointer d_config) {
        configDisposes++;
        configs.remove(Pointer.nativeValue(d_config));
    }

    @Override
    public int libxl_domain_config_from_json(Pointer ctx, Pointer p, String s) {
        call("libxl_domain_config_from_json");
        try {
            JSON.readTree(s);
        } catch (IOException e) {
            return LibxlError.INVAL.code();
        }
        configs.put(Pointer.nativeValue(p), s);
        return 0;
    }

    @Override
    public Pointer libxl_domain_config_to_json(Pointer ctx, Pointer p) {
        String s = configs.get(Pointer.nativeValue(p));
        return s == null ? null : cString(s);
    }

    @Override
    public synchronized int libxl_domain_create_new(Pointer ctx, Pointer d_config, IntByReference domid, Pointer ao_how, Pointer aop) {
        call("libxl_domain_create_new");
        int rc = failure("libxl_domain_create_new");
        if (rc != 0) {
            return rc;
        }
        String json = configs.get(Pointer.nativeValue(d_config));
        lastCreateJson = json;
        String name = DomainConfigJson.parse(json).path("c_info").path("name").asText();
        if (byName(name) != null) {
            return LibxlError.INVAL.code();
        }
        Dom d = new Dom(nextDomid++, name, json, false);
        domains.put(d.domid, d);
        domid.setValue(d.domid);
        return 0;
    }

    @Override
    public synchronized int libxl_domain_create_restore(Pointer ctx, Pointer d_config, IntByReference domid, int restore_fd,
            int send_back_fd, LibxlDomainRestoreParams params, Pointer ao_how, Pointer aop) {
        call("libxl_domain_create_restore fd=" + restore_fd + " send_back_fd=" + send_back_fd + " stream_version=" + params.stream_version
                + " checkpointed=" + params.checkpointed_stream);
        lastRestoreParams = params;
        FileChannel ch = files.get(restore_fd);
        if (ch == null) {
            return LibxlError.FAIL.code();
        }
        try {
            ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, ch.size() - ch.position()));
            while (b.hasRemaining() && ch.read(b) > 0) {
                // read the rest of the stream
            }
            restoredStream = new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return LibxlError.FAIL.code();
        }
        if (!restoredStream.startsWith(STREAM_MAGIC)) {
            return LibxlError.BADFAIL.code();
        }
        int rc = failure("libxl_domain_create_restore");
        if (rc != 0) {
            Dom half = new Dom(nextDomid++, "half", "{}", true);
            domains.put(half.domid, half);
            domid.setValue(half.domid);
            return rc;
        }
        String json = configs.get(Pointer.nativeValue(d_config));
        String name = DomainConfigJson.parse(json).path("c_info").path("name").asText();
        Dom d = new Dom(nextDomid++, name, json, true);
        domains.put(d.domid, d);
        domid.setValue(d.domid);
        return 0;
    }

    @Override
    public void libxl_domain_restore_params_init(LibxlDomainRestoreParams p) {
        call("libxl_domain_restore_params_init");
    }

    @Override
    public void libxl_domain_restore_params_dispose(LibxlDomainRestoreParams p) {
        call("libxl_domain_restore_params_dispose");
    }

    @Override
    public int libxl_retrieve_domain_configuration(Pointer ctx, int domid, Pointer d_config, Pointer ao_how) {
        call("libxl_retrieve_domain_configuration " + domid);
        Dom d = domains.get(domid);
        if (d == null) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        ObjectNode cfg = DomainConfigJson.parse(d.configJson);
        cfg.with("c_info").put("domid", domid).put("uuid", "6a1b2c3d-0000-4000-8000-00000000000" + (domid % 10));
        configs.put(Pointer.nativeValue(d_config), cfg.toString());
        return 0;
    }

    @Override
    public int libxl_domain_suspend(Pointer ctx, int domid, int fd, int flags, Pointer ao_how) {
        call("libxl_domain_suspend " + domid + " flags=" + flags);
        Dom d = domains.get(domid);
        FileChannel ch = files.get(fd);
        if (d == null) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        int rc = failure("libxl_domain_suspend");
        try {
            write(ch, STREAM_MAGIC);
            if (rc != 0) {
                // As with a PV guest on Xen without shadow paging: log-dirty fails, the guest keeps running.
                return rc;
            }
            if ((flags & LIBXL_SUSPEND_LIVE) != 0) {
                write(ch, "pre-copy pages of " + d.name + "\n");
                if (firstPassBytes > 0) {
                    ch.position(ch.position() + firstPassBytes - 1);
                    write(ch, "\n");
                }
                duringPreCopy.accept(domid);
            }
            // libxl asks a PV-aware guest to suspend through its control node; the guest takes a moment to obey.
            writeNode("/local/domain/" + domid + "/control/shutdown");
            call("domain " + domid + " asked to suspend");
            Thread.sleep(suspendRequestMillis);
            d.shutdown = true;
            d.reason = "suspend";
            call("domain " + domid + " suspended");
            Thread.sleep(finalCopyMillis);
            write(ch, "final pages of " + d.name + "\n");
            return 0;
        } catch (IOException e) {
            return LibxlError.FAIL.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LibxlError.ABORTED.code();
        }
    }

    private static void write(FileChannel ch, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Override
    public int libxl_domain_resume(Pointer ctx, int domid, int suspend_cancel, Pointer ao_how) {
        call("libxl_domain_resume " + domid + " suspend_cancel=" + suspend_cancel);
        Dom d = domains.get(domid);
        if (d == null) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        if (!d.suspended()) {
            return LibxlError.INVAL.code();
        }
        d.shutdown = false;
        d.reason = "";
        return 0;
    }

    @Override
    public int libxl_domain_pause(Pointer ctx, int domid, Pointer ao_how) {
        call("libxl_domain_pause " + domid);
        Dom d = domains.get(domid);
        if (d == null) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        d.paused = true;
        return 0;
    }

    @Override
    public int libxl_domain_unpause(Pointer ctx, int domid, Pointer ao_how) {
        call("libxl_domain_unpause " + domid);
        Dom d = domains.get(domid);
        if (d == null) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        d.paused = false;
        return 0;
    }

    @Override
    public int libxl_domain_destroy(Pointer ctx, int domid, Pointer ao_how) {
        call("libxl_domain_destroy " + domid);
        return domains.remove(domid) == null ? LibxlError.DOMAIN_NOTFOUND.code() : 0;
    }

    @Override
    public int libxl_domain_info(Pointer ctx, Pointer info_r, int domid) {
        if (!domains.containsKey(domid)) {
            return LibxlError.DOMAIN_NOTFOUND.code();
        }
        if (info_r != null) {
            infoBuffers.put(Pointer.nativeValue(info_r), domid);
        }
        return 0;
    }

    @Override
    public void libxl_dominfo_init(Pointer p) {
    }

    @Override
    public void libxl_dominfo_dispose(Pointer p) {
        infoBuffers.remove(Pointer.nativeValue(p));
    }

    @Override
    public Pointer libxl_dominfo_to_json(Pointer ctx, Pointer p) {
        Integer domid = infoBuffers.get(Pointer.nativeValue(p));
        Dom d = domid == null ? null : domains.get(domid);
        if (d == null) {
            return null;
        }
        ObjectNode j = JSON.createObjectNode().put("domid", d.domid).put("running", !d.paused && !d.shutdown).put("blocked", false)
                .put("paused", d.paused).put("shutdown", d.shutdown).put("dying", d.dying).put("never_stop", false)
                .put("max_memkb", 131072);
        if (d.shutdown) {
            j.put("shutdown_reason", d.reason);
        }
        return cString(j.toString());
    }

    @Override
    public int libxl_name_to_domid(Pointer ctx, String name, IntByReference domid) {
        Dom d = byName(name);
        if (d == null) {
            return LibxlError.INVAL.code();
        }
        domid.setValue(d.domid);
        return 0;
    }

    @Override
    public int libxl_get_physinfo(Pointer ctx, Pointer physinfo) {
        call("libxl_get_physinfo");
        return failure("libxl_get_physinfo");
    }

    @Override
    public void libxl_physinfo_init(Pointer p) {
    }

    @Override
    public void libxl_physinfo_dispose(Pointer p) {
    }

    @Override
    public Pointer libxl_physinfo_to_json(Pointer ctx, Pointer p) {
        return cString(JSON.createObjectNode().put("cap_pv", capPv).put("cap_hvm", capHvm).put("cap_hap", capHap)
                .put("cap_shadow", capShadow).put("nr_cpus", 2).toString());
    }

    @Override
    public Pointer libxl_get_version_info(Pointer ctx) {
        Memory m = new Memory(64);
        live.put(Pointer.nativeValue(m), m);
        return m;
    }

    @Override
    public Pointer libxl_version_info_to_json(Pointer ctx, Pointer p) {
        return cString("{\"xen_version_major\": 4, \"xen_version_minor\": 17, \"xen_version_extra\": \".5\"}");
    }

    // ---- xentoollog ----

    @Override
    public Pointer xtl_createlogger_stdiostream(Pointer f, int min_level, int flags) {
        call("xtl_createlogger_stdiostream level=" + min_level);
        Memory m = new Memory(8);
        live.put(Pointer.nativeValue(m), m);
        return m;
    }

    @Override
    public void xtl_logger_destroy(Pointer logger) {
        call("xtl_logger_destroy");
    }

    // ---- libc ----

    @Override
    public synchronized int open(String pathname, int flags, int mode) {
        try {
            FileChannel ch = (flags & O_WRONLY) != 0
                    ? FileChannel.open(Path.of(pathname), StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)
                    : FileChannel.open(Path.of(pathname), StandardOpenOption.READ);
            int fd = nextFd++;
            files.put(fd, ch);
            return fd;
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public int close(int fd) {
        FileChannel ch = files.remove(fd);
        if (ch == null) {
            return -1;
        }
        try {
            ch.close();
            return 0;
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public long write(int fd, byte[] buf, long count) {
        FileChannel ch = files.get(fd);
        try {
            return ch == null ? -1 : ch.write(ByteBuffer.wrap(buf, 0, (int) count));
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        FileChannel ch = files.get(fd);
        try {
            ch.position(offset);
            return offset;
        } catch (IOException | NullPointerException e) {
            return -1;
        }
    }

    @Override
    public int fsync(int fd) {
        FileChannel ch = files.get(fd);
        try {
            ch.force(true);
            return 0;
        } catch (IOException | NullPointerException e) {
            return -1;
        }
    }

    // ---- libxenstore ----

    @Override
    public Pointer xs_open(long flags) {
        call("xs_open");
        if (!xenstoreUp) {
            com.sun.jna.Native.setLastError(2);
            return null;
        }
        Memory h = new Memory(8);
        live.put(Pointer.nativeValue(h), h);
        events.put(Pointer.nativeValue(h), new java.util.concurrent.ConcurrentLinkedQueue<>());
        return h;
    }

    @Override
    public void xs_close(Pointer xsh) {
        call("xs_close");
        long h = Pointer.nativeValue(xsh);
        watches.removeIf(w -> w.handle == h);
        events.remove(h);
        live.remove(h);
    }

    @Override
    public byte xs_watch(Pointer h, String path, String token) {
        call("xs_watch " + path);
        long handle = Pointer.nativeValue(h);
        watches.add(new Watch(handle, path, token));
        // As xenstored does: a new watch fires once at once.
        events.get(handle).add(new String[] {path, token});
        return 1;
    }

    @Override
    public byte xs_unwatch(Pointer h, String path, String token) {
        call("xs_unwatch " + path);
        long handle = Pointer.nativeValue(h);
        return (byte) (watches.removeIf(w -> w.handle == handle && w.path.equals(path) && w.token.equals(token)) ? 1 : 0);
    }

    @Override
    public Pointer xs_check_watch(Pointer h) {
        java.util.Queue<String[]> q = events.get(Pointer.nativeValue(h));
        String[] e = q == null ? null : q.poll();
        if (e == null) {
            com.sun.jna.Native.setLastError(11);
            return null;
        }
        // One malloc'd block as libxenstore returns it: two pointers, then the strings they point at.
        byte[] path = (e[0] + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] token = (e[1] + "\0").getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(16 + path.length + token.length);
        m.write(16, path, 0, path.length);
        m.write(16 + path.length, token, 0, token.length);
        m.setPointer(0, m.share(16));
        m.setPointer(8, m.share(16 + path.length));
        unfreed.add(Pointer.nativeValue(m));
        live.put(Pointer.nativeValue(m), m);
        return m;
    }

    @Override
    public void free(Pointer ptr) {
        long a = Pointer.nativeValue(ptr);
        unfreed.remove(a);
        live.remove(a);
    }

    @Override
    public int setvbuf(Pointer stream, Pointer buf, int mode, long size) {
        call("setvbuf mode=" + mode);
        return 0;
    }

    @Override
    public Pointer fdopen(int fd, String mode) {
        Memory m = new Memory(8);
        live.put(Pointer.nativeValue(m), m);
        return m;
    }

    /** File descriptors opened and not closed. */
    int openFiles() {
        return files.size();
    }
}
