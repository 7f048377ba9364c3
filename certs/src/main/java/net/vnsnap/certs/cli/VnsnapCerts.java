package net.vnsnap.certs.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.time.ZoneOffset;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialInspector;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.credential.Privilege;
import net.vnsnap.certs.credential.VerifiedCredential;
import net.vnsnap.certs.federation.CredentialFactory;
import net.vnsnap.certs.federation.CredentialSigner;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.federation.LocalFederation;
import net.vnsnap.certs.federation.PemFiles;
import net.vnsnap.certs.speaksfor.SpeaksFor;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.trust.TrustRoots;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/** The {@code vnsnap-certs} command: a local GENI federation (CA, users, AMs, slices, credentials) and credential checks. */
public final class VnsnapCerts {

    /** Exit status for a bad command line. */
    static final int USAGE = 2;
    /** Exit status for a failed operation or a credential that does not verify. */
    static final int FAILED = 1;

    /** One subcommand: its options, a one-line summary and what it does. */
    interface Subcommand {
        String summary();

        Options options();

        int run(CommandLine cl, Context ctx) throws Exception;
    }

    /** What a subcommand may use: output streams and the clock (tests inject both). */
    record Context(PrintStream out, PrintStream err, Clock clock) {
    }

    private final Map<String, Subcommand> commands = new LinkedHashMap<>();

    VnsnapCerts() {
        commands.put("init-ca", new InitCa());
        commands.put("issue-user", new IssueUser());
        commands.put("init-am", new InitAm());
        commands.put("issue-slice-credential", new IssueSliceCredential());
        commands.put("delegate", new Delegate());
        commands.put("speaks-for", new IssueSpeaksFor());
        commands.put("show", new Show());
        commands.put("verify", new Verify());
    }

    public static void main(String[] args) {
        System.exit(new VnsnapCerts().run(args, new Context(System.out, System.err, Clock.systemUTC())));
    }

    /** Runs one command line and returns the exit status. */
    int run(String[] args, Context ctx) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(args.length == 0 ? ctx.err() : ctx.out());
            return args.length == 0 ? USAGE : 0;
        }
        Subcommand cmd = commands.get(args[0]);
        if (cmd == null) {
            ctx.err().println("vnsnap-certs: unknown command '" + args[0] + "'");
            usage(ctx.err());
            return USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            help(ctx.out(), args[0], cmd);
            return 0;
        }
        Options opts = cmd.options();
        opts.addOption(Option.builder("h").longOpt("help").desc("show this help").build());
        CommandLine cl;
        try {
            cl = new DefaultParser().parse(opts, rest);
        } catch (ParseException e) {
            ctx.err().println("vnsnap-certs " + args[0] + ": " + e.getMessage());
            help(ctx.err(), args[0], cmd);
            return USAGE;
        }
        if (cl.hasOption("help")) {
            help(ctx.out(), args[0], cmd);
            return 0;
        }
        if (!cl.getArgList().isEmpty() && !(cmd instanceof Show)) {
            ctx.err().println("vnsnap-certs " + args[0] + ": unexpected argument '" + cl.getArgList().get(0) + "'");
            return USAGE;
        }
        try {
            return cmd.run(cl, ctx);
        } catch (UsageException e) {
            ctx.err().println("vnsnap-certs " + args[0] + ": " + e.getMessage());
            return USAGE;
        } catch (Exception e) {
            ctx.err().println("vnsnap-certs " + args[0] + ": " + describe(e));
            return FAILED;
        }
    }

    private void usage(PrintStream out) {
        out.println("usage: vnsnap-certs COMMAND [options]   (vnsnap-certs COMMAND --help for its options)");
        out.println();
        out.println("commands:");
        commands.forEach((name, cmd) -> out.printf("  %-24s %s%n", name, cmd.summary()));
    }

    private static void help(PrintStream out, String name, Subcommand cmd) {
        PrintWriter w = new PrintWriter(out);
        new HelpFormatter().printHelp(w, 100, "vnsnap-certs " + name + " [options]", cmd.summary(), cmd.options(), 2, 4, "", false);
        w.flush();
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = e.getClass().getSimpleName();
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            msg = "no such file: " + msg;
        }
        return msg;
    }

    /** A command-line mistake found after parsing (bad value, missing combination). */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static Option required(String longOpt, String arg, String desc) {
        return Option.builder().longOpt(longOpt).hasArg().argName(arg).required().desc(desc).build();
    }

    static Option optional(String longOpt, String arg, String desc) {
        return Option.builder().longOpt(longOpt).hasArg().argName(arg).desc(desc).build();
    }

    static Option flag(String longOpt, String desc) {
        return Option.builder().longOpt(longOpt).desc(desc).build();
    }

    static Duration days(CommandLine cl, String opt, long dflt) throws UsageException {
        String v = cl.getOptionValue(opt);
        if (v == null) {
            return Duration.ofDays(dflt);
        }
        try {
            long d = Long.parseLong(v);
            if (d < 1 || d > 36500) {
                throw new UsageException("--" + opt + " must be between 1 and 36500 days");
            }
            return Duration.ofDays(d);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + opt + " takes a number of days, not '" + v + "'");
        }
    }

    static Instant time(String text, String opt) throws UsageException {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new UsageException("--" + opt + " takes an RFC 3339 time such as 2027-06-01T00:00:00Z, not '" + text + "'");
        }
    }

    static Path existingFile(CommandLine cl, String opt) throws UsageException {
        Path p = Path.of(cl.getOptionValue(opt));
        if (!Files.isRegularFile(p)) {
            throw new UsageException("--" + opt + " " + p + ": no such file");
        }
        return p;
    }

    static Identity identity(Path certFile, Path keyFile) throws Exception {
        return new Identity(GeniCertificate.readPrivateKey(keyFile), GeniCertificate.readChain(certFile));
    }

    static void writeOrPrint(CommandLine cl, Context ctx, String text, String what) throws Exception {
        if (cl.hasOption("out")) {
            Path out = Path.of(cl.getOptionValue("out"));
            PemFiles.write(out, text, false);
            ctx.err().println("wrote " + what + " to " + out);
        } else {
            ctx.out().print(text);
        }
    }

    /** {@code init-ca}: a new federation directory with its authority and trust roots. */
    static final class InitCa implements Subcommand {
        public String summary() {
            return "create a federation directory with a new certificate authority (slice and member authority)";
        }

        public Options options() {
            return new Options().addOption(required("dir", "DIR", "federation directory to create"))
                    .addOption(optional("authority", "NAME", "authority name, e.g. vnsnap//local (default)"))
                    .addOption(optional("days", "N", "validity of the CA certificate in days (default 3650)"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            LocalFederation f = LocalFederation.create(Path.of(cl.getOptionValue("dir")),
                    cl.getOptionValue("authority", "vnsnap//local"), days(cl, "days", 3650), ctx.clock());
            ctx.out().println("authority " + f.authorityUrn());
            ctx.out().println("trust roots " + f.trustRootsDirectory());
            return 0;
        }
    }

    /** {@code issue-user}: a user certificate, key and user credential. */
    static final class IssueUser implements Subcommand {
        public String summary() {
            return "issue a user certificate (URN in subjectAltName), key and user credential";
        }

        public Options options() {
            return new Options().addOption(required("dir", "DIR", "federation directory"))
                    .addOption(required("name", "NAME", "user name: a letter then up to 7 letters, digits or _"))
                    .addOption(optional("email", "ADDRESS", "e-mail address for the certificate"))
                    .addOption(optional("days", "N", "validity in days (default 365)"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            LocalFederation f = LocalFederation.open(Path.of(cl.getOptionValue("dir")), ctx.clock());
            Identity u = f.issueUser(cl.getOptionValue("name"), cl.getOptionValue("email"), days(cl, "days", 365));
            Path d = f.userDirectory(cl.getOptionValue("name"));
            ctx.out().println("user " + urnOf(u.certificate()));
            ctx.out().println("certificate " + d.resolve("cert.pem"));
            ctx.out().println("key " + d.resolve("key.pem"));
            ctx.out().println("user credential " + d.resolve("user-cred.xml"));
            return 0;
        }
    }

    /** {@code init-am}: the identity of an aggregate manager or host agent. */
    static final class InitAm implements Subcommand {
        public String summary() {
            return "issue the TLS identity of an aggregate manager or host agent (URN ...+authority+am)";
        }

        public Options options() {
            return new Options().addOption(required("dir", "DIR", "federation directory"))
                    .addOption(optional("name", "NAME", "server name (default am); its URN is <authority>:NAME+authority+am"))
                    .addOption(Option.builder().longOpt("host").hasArgs().argName("HOST")
                            .desc("host name or address clients use (repeatable; default localhost and 127.0.0.1)").build())
                    .addOption(optional("days", "N", "validity in days (default 365)"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            LocalFederation f = LocalFederation.open(Path.of(cl.getOptionValue("dir")), ctx.clock());
            String name = cl.getOptionValue("name", "am");
            List<String> hosts = cl.hasOption("host") ? List.of(cl.getOptionValues("host")) : List.of("localhost", "127.0.0.1");
            Identity am = f.issueServer(name, hosts, days(cl, "days", 365));
            ctx.out().println("server " + urnOf(am.certificate()));
            ctx.out().println("certificate " + f.serverDirectory(name).resolve("cert.pem"));
            ctx.out().println("key " + f.serverDirectory(name).resolve("key.pem"));
            return 0;
        }
    }

    /** {@code issue-slice-credential}: a slice (if new) and a slice credential for a user. */
    static final class IssueSliceCredential implements Subcommand {
        public String summary() {
            return "create a slice if needed and issue a user's slice credential";
        }

        public Options options() {
            return new Options().addOption(required("dir", "DIR", "federation directory"))
                    .addOption(required("user", "NAME", "the user who owns the credential"))
                    .addOption(required("slice", "NAME", "slice name: up to 19 letters, digits or -"))
                    .addOption(optional("days", "N", "validity of the credential in days (default 30)"))
                    .addOption(optional("out", "FILE", "also copy the credential to FILE"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            LocalFederation f = LocalFederation.open(Path.of(cl.getOptionValue("dir")), ctx.clock());
            Path cred = f.issueSliceCredential(cl.getOptionValue("user"), cl.getOptionValue("slice"), days(cl, "days", 30));
            ctx.out().println("slice " + f.sliceUrn(cl.getOptionValue("slice")));
            ctx.out().println("slice credential " + cred);
            if (cl.hasOption("out")) {
                PemFiles.write(Path.of(cl.getOptionValue("out")), Files.readString(cred), false);
            }
            return 0;
        }
    }

    /** {@code delegate}: a credential's owner delegates (some of) its privileges. */
    static final class Delegate implements Subcommand {
        public String summary() {
            return "delegate a credential you own to another user (the original becomes its parent)";
        }

        public Options options() {
            return new Options().addOption(required("credential", "FILE", "the credential to delegate"))
                    .addOption(required("cert", "FILE", "your certificate (the credential's owner)"))
                    .addOption(required("key", "FILE", "your private key"))
                    .addOption(required("to", "FILE", "the delegatee's certificate"))
                    .addOption(optional("privileges", "LIST", "comma-separated privileges (default: every delegatable one)"))
                    .addOption(flag("can-delegate", "let the delegatee delegate further"))
                    .addOption(optional("expires", "TIME", "RFC 3339 expiry, no later than the parent's (default: the parent's)"))
                    .addOption(optional("out", "FILE", "write the credential to FILE (default: standard output)"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            Identity owner = identity(existingFile(cl, "cert"), existingFile(cl, "key"));
            List<X509Certificate> to = GeniCertificate.readChain(existingFile(cl, "to"));
            Set<String> privs = null;
            if (cl.hasOption("privileges")) {
                privs = new LinkedHashSet<>();
                for (String p : cl.getOptionValue("privileges").split(",")) {
                    if (!p.isBlank()) {
                        privs.add(p.trim());
                    }
                }
            }
            Instant expires = cl.hasOption("expires") ? time(cl.getOptionValue("expires"), "expires") : null;
            String xml = new CredentialFactory(ctx.clock(), new CredentialSigner(CredentialSigner.Algorithm.RSA_SHA256)).delegate(
                    Files.readString(existingFile(cl, "credential")), owner, to, privs, cl.hasOption("can-delegate"), expires);
            writeOrPrint(cl, ctx, xml, "delegated credential");
            return 0;
        }
    }

    /** {@code speaks-for}: a user lets a tool act on its behalf. */
    static final class IssueSpeaksFor implements Subcommand {
        public String summary() {
            return "issue a speaks-for credential (geni_abac) letting a tool act for a user";
        }

        public Options options() {
            return new Options().addOption(required("user-cert", "FILE", "the user's certificate"))
                    .addOption(required("user-key", "FILE", "the user's private key (it signs)"))
                    .addOption(required("tool-cert", "FILE", "the tool's certificate"))
                    .addOption(optional("days", "N", "validity in days (default 30)"))
                    .addOption(optional("out", "FILE", "write the credential to FILE (default: standard output)"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            Identity user = identity(existingFile(cl, "user-cert"), existingFile(cl, "user-key"));
            X509Certificate tool = GeniCertificate.readChain(existingFile(cl, "tool-cert")).get(0);
            String xml = new CredentialFactory(ctx.clock(), new CredentialSigner(CredentialSigner.Algorithm.RSA_SHA256)).speaksFor(user, tool,
                    ctx.clock().instant().plus(days(cl, "days", 30)));
            writeOrPrint(cl, ctx, xml, "speaks-for credential");
            return 0;
        }
    }

    static String urnOf(X509Certificate c) {
        return GeniCertificate.of(c).describe();
    }

    /** {@code show}: what a certificate or credential file says (not a verification). */
    static final class Show implements Subcommand {
        public String summary() {
            return "print the identity, chain and validity of a certificate file, or the levels of a credential";
        }

        public Options options() {
            return new Options();
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            if (cl.getArgList().size() != 1) {
                throw new UsageException("show takes one file: vnsnap-certs show FILE");
            }
            Path file = Path.of(cl.getArgList().get(0));
            if (!Files.isRegularFile(file)) {
                throw new UsageException(file + ": no such file");
            }
            String text = Files.readString(file);
            if (!text.stripLeading().startsWith("<")) {
                List<X509Certificate> chain = GeniCertificate.readChain(file);
                for (int i = 0; i < chain.size(); i++) {
                    GeniCertificate g = GeniCertificate.of(chain.get(i));
                    X509Certificate c = g.certificate();
                    ctx.out().println((i == 0 ? "certificate" : "issuer " + i) + ": " + g.describe());
                    g.uuid().ifPresent(u -> ctx.out().println("  uuid      " + u));
                    g.email().ifPresent(e -> ctx.out().println("  email     " + e));
                    ctx.out().println("  subject   " + c.getSubjectX500Principal());
                    ctx.out().println("  issuer    " + c.getIssuerX500Principal());
                    ctx.out().println("  CA        " + g.isCa());
                    ctx.out().println("  valid     " + c.getNotBefore().toInstant() + " .. " + c.getNotAfter().toInstant()
                            + (ctx.clock().instant().isAfter(c.getNotAfter().toInstant()) ? "  (EXPIRED)" : ""));
                    ctx.out().println("  keyid     " + g.keyId());
                }
                return 0;
            }
            List<CredentialInspector.Level> levels = CredentialInspector.inspect(text);
            for (int i = 0; i < levels.size(); i++) {
                CredentialInspector.Level l = levels.get(i);
                ctx.out().println((i == 0 ? "credential " : "parent " + i + " ") + l.id() + " (" + l.type() + ", signature "
                        + l.signature() + ")");
                ctx.out().println("  " + (l.type().equals("abac") ? "speaks for" : "owner     ") + " " + l.owner());
                ctx.out().println("  " + (l.type().equals("abac") ? "tool      " : "target    ") + " " + l.target());
                ctx.out().println("  expires    " + l.expires()
                        + (ctx.clock().instant().isBefore(l.expires()) ? "" : "  (EXPIRED)"));
                if (!l.type().equals("abac")) {
                    StringBuilder b = new StringBuilder();
                    for (Privilege p : l.privileges()) {
                        b.append(b.length() == 0 ? "" : ", ").append(p.name()).append(p.canDelegate() ? " (delegatable)" : "");
                    }
                    ctx.out().println("  privileges " + b);
                }
            }
            return 0;
        }
    }

    /** {@code verify}: full verification against a trust-root directory; exit 0 only when valid. */
    static final class Verify implements Subcommand {
        public String summary() {
            return "verify a credential against trust roots for a caller, target and time; exit 0 only when valid";
        }

        public Options options() {
            return new Options().addOption(required("roots", "DIR", "trust-root directory (PEM CA certificates)"))
                    .addOption(required("credential", "FILE", "the signed credential"))
                    .addOption(optional("caller-cert", "FILE", "the caller's certificate (for speaks-for: the tool's)"))
                    .addOption(optional("target", "URN", "the slice or object the call is about"))
                    .addOption(optional("at", "TIME", "check at this RFC 3339 time instead of now"))
                    .addOption(Option.builder().longOpt("operation").hasArgs().argName("NAME")
                            .desc("an operation the credential must allow, e.g. createsliver (repeatable)").build())
                    .addOption(optional("speaking-for", "URN", "for a speaks-for (geni_abac) credential: the user URN"));
        }

        public int run(CommandLine cl, Context ctx) throws Exception {
            Path roots = Path.of(cl.getOptionValue("roots"));
            if (!Files.isDirectory(roots)) {
                throw new UsageException("--roots " + roots + ": not a directory");
            }
            Clock clock = cl.hasOption("at") ? Clock.fixed(time(cl.getOptionValue("at"), "at"), ZoneOffset.UTC) : ctx.clock();
            TrustRoots trust = TrustRoots.fromDirectory(roots, clock);
            String xml = Files.readString(existingFile(cl, "credential"));
            List<X509Certificate> caller = cl.hasOption("caller-cert") ? GeniCertificate.readChain(existingFile(cl, "caller-cert")) : null;
            try {
                if (cl.hasOption("speaking-for")) {
                    if (caller == null) {
                        throw new UsageException("--speaking-for needs --caller-cert (the tool's certificate)");
                    }
                    SpeaksFor sf = new SpeaksForVerifier(trust, clock).verify(xml, caller,
                            GeniUrn.parse(cl.getOptionValue("speaking-for")));
                    ctx.out().println("VALID speaks-for: " + GeniCertificate.of(sf.tool()).describe() + " may act for " + sf.user()
                            + " until " + sf.expires());
                    return 0;
                }
                GeniUrn target = cl.hasOption("target") ? GeniUrn.parse(cl.getOptionValue("target")) : null;
                Set<AmOperation> ops = new LinkedHashSet<>();
                for (String name : cl.getOptionValues("operation") == null ? new String[0] : cl.getOptionValues("operation")) {
                    ops.add(operation(name));
                }
                VerifiedCredential v = new CredentialVerifier(trust, clock).verify(xml, caller, target, ops);
                ctx.out().println("VALID credential of " + v.owner() + " for " + v.target());
                ctx.out().println("  expires     " + v.expires());
                ctx.out().println("  delegations " + (v.chainDepth() - 1));
                StringBuilder b = new StringBuilder();
                for (Privilege p : v.privileges()) {
                    b.append(b.length() == 0 ? "" : ", ").append(p.name());
                }
                ctx.out().println("  privileges  " + b);
                if (caller == null) {
                    ctx.out().println("  (caller not checked: give --caller-cert)");
                }
                return 0;
            } catch (CredentialException e) {
                ctx.err().println("INVALID (geni_code " + e.code().wire() + " " + e.code() + "): " + e.getMessage());
                return FAILED;
            }
        }

        private static AmOperation operation(String name) throws UsageException {
            for (AmOperation op : AmOperation.values()) {
                if (op.tableName().equalsIgnoreCase(name) || op.name().equalsIgnoreCase(name)) {
                    return op;
                }
            }
            throw new UsageException("unknown operation '" + name + "'; e.g. createsliver, getsliceresources, renewsliver, deleteslice");
        }
    }
}
