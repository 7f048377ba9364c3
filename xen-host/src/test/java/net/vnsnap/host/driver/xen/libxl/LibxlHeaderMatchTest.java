package net.vnsnap.host.driver.xen.libxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Structure;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The raw JNA layer against the real headers of Debian's libxen-dev (Xen 4.17): every mirrored function exists with
 * the same argument count and compatible types, the two mirrored structs have the same fields in the same order, and
 * the constants have the headers' values. The deb is downloaded once into {@code .vnsnap/xen-dev/} (apt-get download,
 * not installed); without a reachable Debian mirror the test is skipped and says so.
 */
class LibxlHeaderMatchTest {
    private static final String[] HEADERS = {"libxl.h", "libxl_event.h", "libxl_utils.h", "_libxl_types.h", "xentoollog.h", "xenstore.h",
        "xen/io/xs_wire.h"};
    private static String text;
    private static String raw;

    @BeforeAll
    static void headers() throws Exception {
        Path include = ensureHeaders();
        StringBuilder b = new StringBuilder();
        StringBuilder r = new StringBuilder();
        for (String h : HEADERS) {
            String s = Files.readString(include.resolve(h), StandardCharsets.UTF_8);
            r.append(s).append('\n');
            s = s.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ").replace("\\\n", " ");
            StringBuilder kept = new StringBuilder();
            for (String line : s.split("\n")) {
                if (!line.strip().startsWith("#")) {
                    kept.append(line).append('\n');
                }
            }
            b.append(kept);
        }
        text = b.toString().replaceAll("\\s+", " ");
        raw = r.toString();
    }

    /** The headers, from the cached deb or a fresh download. */
    private static Path ensureHeaders() throws IOException, InterruptedException {
        Path module = Path.of("").toAbsolutePath();
        Path cache = module.getParent().resolve(".vnsnap/xen-dev");
        Path include = cache.resolve("usr/include");
        if (Files.isRegularFile(include.resolve("libxl.h"))) {
            return include;
        }
        Files.createDirectories(cache);
        Process p = new ProcessBuilder("apt-get", "download", "libxen-dev").directory(cache.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        Path deb;
        try (Stream<Path> s = Files.list(cache)) {
            deb = s.filter(f -> f.getFileName().toString().startsWith("libxen-dev_") && f.toString().endsWith(".deb")).findFirst().orElse(null);
        }
        Assumptions.assumeTrue(ok && deb != null, "skipped: cannot download libxen-dev from the Debian mirror (apt-get download: "
                + out.strip() + ")");
        Process x = new ProcessBuilder("dpkg-deb", "-x", deb.toString(), cache.toString()).redirectErrorStream(true).start();
        String xout = new String(x.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(x.waitFor(60, TimeUnit.SECONDS) && x.exitValue() == 0, "dpkg-deb -x failed: " + xout);
        assertTrue(Files.isRegularFile(include.resolve("libxl.h")), "the deb has no libxl.h");
        return include;
    }

    /** One C declaration: return type and parameter types, each normalized to "base" plus stars. */
    record Decl(String ret, List<String> params) {
    }

    /** Every declaration of {@code name} in the headers (compat wrappers calling it are not declarations). */
    private static List<Decl> declarations(String name) {
        List<Decl> out = new ArrayList<>();
        for (String stmt : text.split("[;{}]")) {
            Matcher m = Pattern.compile("^\\s*([A-Za-z_][\\w\\s*]*?)\\s*\\b" + name + "\\s*\\((.*)\\)\\s*(LIBXL_EXTERNAL_CALLERS_ONLY)?\\s*$")
                    .matcher(stmt);
            if (!m.matches() || m.group(1).matches(".*\\b(return|define)\\b.*")) {
                continue;
            }
            List<String> params = new ArrayList<>();
            String ps = m.group(2).strip();
            if (!ps.equals("void") && !ps.isEmpty()) {
                for (String p : ps.split(",")) {
                    params.add(normalize(p, true));
                }
            }
            out.add(new Decl(normalize(m.group(1), false), params));
        }
        return out;
    }

    /** "const char *name" → "char*"; "libxl_ctx*" → "libxl_ctx*"; "struct xentoollog_logger *logger" → "xentoollog_logger*". */
    static String normalize(String c, boolean hasName) {
        int stars = (int) c.chars().filter(ch -> ch == '*').count();
        List<String> words = new ArrayList<>();
        for (String w : c.replace("*", " ").strip().split("\\s+")) {
            if (!w.isEmpty() && !w.equals("const") && !w.equals("struct")) {
                words.add(w);
            }
        }
        if (hasName && words.size() >= 2) {
            words.remove(words.size() - 1);
        }
        return String.join(" ", words) + "*".repeat(stars);
    }

    /** The JNA type a C type must be mirrored as. */
    static String javaTypeFor(String c, boolean isReturn) {
        return switch (c) {
            case "void" -> "void";
            case "int", "unsigned", "uint32_t", "xentoollog_level", "libxl_domid" -> "int";
            case "size_t", "ssize_t", "off_t", "unsigned long" -> "long";
            case "bool" -> "byte";
            case "xs_transaction_t" -> "int";
            case "char*" -> isReturn ? "Pointer" : "String";
            case "uint32_t*", "int*" -> "IntByReference";
            case "libxl_domain_restore_params*" -> "LibxlDomainRestoreParams";
            case "libxl_childproc_hooks*" -> "LibxlChildprocHooks";
            default -> c.endsWith("**") ? (isReturn ? "Pointer" : "PointerByReference") : c.endsWith("*") ? "Pointer" : "?" + c;
        };
    }

    private static void checkInterface(Class<?> iface) {
        List<String> problems = new ArrayList<>();
        for (Method m : iface.getDeclaredMethods()) {
            if (m.isSynthetic() || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            List<Decl> decls = declarations(m.getName());
            if (decls.isEmpty()) {
                problems.add(m.getName() + ": not declared in " + String.join(", ", HEADERS));
                continue;
            }
            for (Decl d : decls) {
                String ret = javaTypeFor(d.ret(), true);
                if (!ret.equals(m.getReturnType().getSimpleName())) {
                    problems.add(m.getName() + ": returns " + d.ret() + " (" + ret + ") but is mirrored as " + m.getReturnType().getSimpleName());
                }
                if (d.params().size() != m.getParameterCount()) {
                    problems.add(m.getName() + ": C has " + d.params().size() + " parameters " + d.params() + ", Java " + m.getParameterCount());
                    continue;
                }
                for (int i = 0; i < d.params().size(); i++) {
                    String want = javaTypeFor(d.params().get(i), false);
                    String have = m.getParameterTypes()[i].getSimpleName();
                    if (!want.equals(have)) {
                        problems.add(m.getName() + " parameter " + (i + 1) + ": C " + d.params().get(i) + " needs " + want + ", Java has " + have);
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void libxlFunctionsMatchTheHeaders() {
        checkInterface(LibxlRaw.class);
    }

    @Test
    void xentoollogFunctionsMatchTheHeaders() {
        checkInterface(XenToolLogRaw.class);
    }

    @Test
    void xenstoreFunctionsMatchTheHeaders() {
        checkInterface(XenStoreRaw.class);
        assertTrue(Pattern.compile("#define XBT_NULL " + XenStoreRaw.XBT_NULL + "\\b").matcher(raw).find(), "XBT_NULL");
        // An enum in xs_wire.h: the path first, the token right after it.
        assertTrue(Pattern.compile("XS_WATCH_PATH = " + XenStoreRaw.XS_WATCH_PATH + ",\\s*XS_WATCH_TOKEN\\b").matcher(raw).find(),
                "XS_WATCH_PATH, XS_WATCH_TOKEN");
        assertEquals(XenStoreRaw.XS_WATCH_PATH + 1, XenStoreRaw.XS_WATCH_TOKEN);
    }

    @Test
    void theCheckCatchesAMismatch() {
        // The checker itself must be able to fail: a deliberately wrong mirror is reported.
        assertEquals("libxl_ctx**", normalize("libxl_ctx **pctx", true));
        assertEquals("libxl_ctx*", normalize("libxl_ctx*", true));
        assertEquals("char*", normalize("const char *s", true));
        assertEquals("xentoollog_logger*", normalize("struct xentoollog_logger *logger", true));
        Decl suspend = declarations("libxl_domain_suspend").get(0);
        assertEquals(List.of("libxl_ctx*", "uint32_t", "int", "int", "libxl_asyncop_how*"), suspend.params());
        interface Wrong {
            @SuppressWarnings("unused")
            int libxl_domain_suspend(com.sun.jna.Pointer ctx, int domid, int fd, com.sun.jna.Pointer ao_how);
        }
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> checkInterface(Wrong.class));
        assertTrue(e.getMessage().contains("5 parameters"), e.getMessage());
    }

    @Test
    void mirroredStructsHaveTheHeadersFields() throws Exception {
        assertEquals(List.of("checkpointed_stream", "stream_version", "colo_proxy_script", "userspace_colo_proxy"),
                structFields("typedef struct libxl_domain_restore_params \\{(.*?)\\} libxl_domain_restore_params;"));
        assertEquals(fieldOrder(LibxlDomainRestoreParams.class),
                structFields("typedef struct libxl_domain_restore_params \\{(.*?)\\} libxl_domain_restore_params;"));
        assertEquals(fieldOrder(LibxlChildprocHooks.class), structFields("typedef struct \\{([^{}]*?chldowner.*?)\\} libxl_childproc_hooks;"));
        assertTrue(Pattern.compile("typedef struct \\{ int val; \\} libxl_defbool;").matcher(text).find(),
                "libxl_defbool is one int, mirrored as int");
        Field sv = LibxlDomainRestoreParams.class.getField("stream_version");
        assertEquals(int.class, sv.getType(), "uint32_t stream_version");
    }

    private static List<String> fieldOrder(Class<? extends Structure> c) {
        return List.of(c.getAnnotation(Structure.FieldOrder.class).value());
    }

    /** Field names of a struct body: the last identifier of each member, or the name of a function pointer. */
    private static List<String> structFields(String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "struct not found: " + regex);
        List<String> names = new ArrayList<>();
        for (String member : m.group(1).split(";")) {
            if (member.isBlank()) {
                continue;
            }
            Matcher fp = Pattern.compile("\\(\\s*\\*\\s*(\\w+)\\s*\\)").matcher(member);
            if (fp.find()) {
                names.add(fp.group(1));
            } else {
                String[] w = member.replace("*", " ").strip().split("\\s+");
                names.add(w[w.length - 1]);
            }
        }
        return names;
    }

    @Test
    void constantsHaveTheHeadersValues() {
        Map<String, Integer> want = new LinkedHashMap<>();
        want.put("LIBXL_VERSION", LibxlRaw.LIBXL_VERSION);
        want.put("LIBXL_SUSPEND_LIVE", LibxlRaw.LIBXL_SUSPEND_LIVE);
        for (Map.Entry<String, Integer> e : want.entrySet()) {
            Matcher m = Pattern.compile("#define " + e.getKey() + " (\\d+)").matcher(raw);
            assertTrue(m.find(), e.getKey());
            assertEquals(Integer.parseInt(m.group(1)), e.getValue(), e.getKey());
        }
        assertEquals(enumValue("LIBXL_SHUTDOWN_REASON_SUSPEND"), LibxlRaw.LIBXL_SHUTDOWN_REASON_SUSPEND);
        assertEquals(enumValue("LIBXL_CHECKPOINTED_STREAM_NONE"), LibxlRaw.LIBXL_CHECKPOINTED_STREAM_NONE);
        assertEquals(position("libxl_sigchld_owner", "libxl_sigchld_owner_libxl_always_selective_reap"),
                LibxlRaw.LIBXL_SIGCHLD_OWNER_LIBXL_ALWAYS_SELECTIVE_REAP);
        assertEquals(position("xentoollog_level", "XTL_DEBUG"), XenToolLogRaw.XTL_DEBUG);
        assertEquals(position("xentoollog_level", "XTL_PROGRESS"), XenToolLogRaw.XTL_PROGRESS);
        assertEquals(position("xentoollog_level", "XTL_INFO"), XenToolLogRaw.XTL_INFO);
        assertEquals(position("xentoollog_level", "XTL_WARN"), XenToolLogRaw.XTL_WARN);
        assertEquals(position("xentoollog_level", "XTL_ERROR"), XenToolLogRaw.XTL_ERROR);
        Matcher f = Pattern.compile("#define XTL_STDIOSTREAM_HIDE_PROGRESS\\s+0*(\\d+)u").matcher(raw);
        assertTrue(f.find());
        assertEquals(Integer.parseInt(f.group(1), 8), XenToolLogRaw.XTL_STDIOSTREAM_HIDE_PROGRESS);
    }

    @Test
    void everyLibxlErrorCodeIsKnown() {
        Matcher m = Pattern.compile("ERROR_(\\w+) = (-\\d+)").matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
            assertEquals(m.group(1), net.vnsnap.host.driver.xen.LibxlError.of(Integer.parseInt(m.group(2))).name());
        }
        assertTrue(n >= 30, "found " + n + " error codes");
    }

    private static int enumValue(String name) {
        Matcher m = Pattern.compile("\\b" + name + " = (-?\\d+)").matcher(text);
        assertTrue(m.find(), name);
        return Integer.parseInt(m.group(1));
    }

    /** The implicit value of an enumerator in a typedef'd enum without explicit values. */
    private static int position(String enumName, String member) {
        Matcher m = Pattern.compile("typedef enum(?: \\w+)? \\{([^}]*)\\} " + enumName + ";").matcher(text);
        assertTrue(m.find(), enumName);
        String[] members = m.group(1).split(",");
        for (int i = 0; i < members.length; i++) {
            assertFalse(members[i].contains("="), "explicit values not handled: " + members[i]);
            if (members[i].strip().equals(member)) {
                return i;
            }
        }
        throw new AssertionError(member + " not in " + enumName);
    }
}
