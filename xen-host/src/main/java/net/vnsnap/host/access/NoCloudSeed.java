package net.vnsnap.host.access;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import net.vnsnap.host.driver.GuestUser;

/**
 * The content of a cloud-init NoCloud seed for one VM: {@code meta-data} (instance id, host name),
 * {@code user-data} (a {@code #cloud-config} creating the experimenters' accounts) and {@code network-config}
 * (version 2: DHCP on the SSH control NIC, static addresses on experiment NICs).
 *
 * <p>Every value that reaches the YAML is checked against a strict pattern first and then written as a
 * double-quoted scalar, so no input can add keys or entries.
 *
 * @param instanceId  cloud-init's instance id; per-instance modules (users, SSH keys) run once per id
 * @param hostname    the guest's host name (an RFC 1123 name)
 * @param users       the experimenters, in list order
 * @param interfaces  the NICs to configure, in device order (may be empty: cloud-init then uses its fallback)
 */
public record NoCloudSeed(String instanceId, String hostname, List<GuestUser> users, List<Interface> interfaces) {
    /** The file-system label cloud-init's NoCloud source looks for ({@code CIDATA} is accepted too). */
    public static final String VOLUME_LABEL = "cidata";
    /** Conservative: cloud-init accepts more, but nothing here needs more and it keeps file names safe. */
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    private static final Pattern IPV4_CIDR = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)/([0-9]|[12]\\d|3[0-2])");
    /**
     * An OpenSSH public key line without options, checked again here although {@link GuestUser} checks it:
     * the seed is the last place before the text becomes YAML, so it must not rely on its caller.
     */
    private static final Pattern KEY = Pattern.compile("(ssh-|ecdsa-sha2-|sk-)[a-z0-9@.-]{1,60} [A-Za-z0-9+/]{16,16384}={0,2}( [\\x20-\\x7e]{0,256})?");
    /** Passwordless sudo, the rule GENI aggregates (InstaGENI, ExoGENI) give experimenters on their VMs. */
    public static final String SUDO_RULE = "ALL=(ALL) NOPASSWD:ALL";

    /**
     * A NIC cloud-init should configure, matched by MAC address.
     *
     * @param name    the name in network-config ({@code ctl}, {@code net0}); also set as the interface name
     * @param mac     lowercase MAC address
     * @param dhcp    true for the control NIC: an address by DHCP, without its routes or resolvers
     * @param address a static IPv4 address with prefix ({@code 10.10.1.1/24}), or null
     */
    public record Interface(String name, String mac, boolean dhcp, String address) {
        private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{0,14}");

        public Interface {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(mac, "mac");
            mac = mac.toLowerCase(Locale.ROOT);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("interface name '" + name + "' must match " + NAME.pattern());
            }
            if (!MAC.matcher(mac).matches()) {
                throw new IllegalArgumentException("interface " + name + ": '" + mac + "' is not a MAC address");
            }
            if (address != null && !IPV4_CIDR.matcher(address).matches()) {
                throw new IllegalArgumentException("interface " + name + ": '" + address + "' is not an IPv4 address with prefix");
            }
        }
    }

    public NoCloudSeed {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(hostname, "hostname");
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("instance id '" + instanceId + "' must match " + INSTANCE_ID.pattern());
        }
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("host name '" + hostname + "' must match " + HOSTNAME.pattern());
        }
        users = List.copyOf(users == null ? List.of() : users);
        interfaces = List.copyOf(interfaces == null ? List.of() : interfaces);
        java.util.Set<String> logins = new java.util.HashSet<>();
        for (GuestUser u : users) {
            if (!GuestUser.LOGIN.matcher(u.login()).matches() || !logins.add(u.login())) {
                throw new IllegalArgumentException("login '" + u.login() + "' is invalid or listed twice");
            }
            for (String k : u.keys()) {
                if (!KEY.matcher(k).matches()) {
                    throw new IllegalArgumentException("key of " + u.login() + " is not a plain OpenSSH public key line");
                }
            }
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Interface i : interfaces) {
            if (!names.add(i.name())) {
                throw new IllegalArgumentException("interface " + i.name() + " listed twice");
            }
        }
    }

    /**
     * The host name for a VM name: lowercased, '_' and '.' become '-', cut to 63 characters, without a
     * leading or trailing '-'. VM names always start with a letter or digit, so the result is never empty.
     */
    public static String hostnameFor(String vmName) {
        String h = vmName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        if (h.length() > 63) {
            h = h.substring(0, 63);
        }
        h = h.replaceAll("^-+|-+$", "");
        return h.isEmpty() ? "vm" : h;
    }

    /** {@code meta-data}: the instance id and host name. */
    public String metaData() {
        return "instance-id: " + quote(instanceId) + "\nlocal-hostname: " + quote(hostname) + "\n";
    }

    /**
     * {@code user-data}: a cloud-config that creates each listed user with their keys, bash, passwordless sudo and
     * a locked password, and turns SSH password logins off. The distribution's default user is not created.
     */
    public String userData() {
        StringBuilder b = new StringBuilder("#cloud-config\n");
        b.append("# written by vnsnap-hostd; applied by cloud-init at the first boot of this instance id\n");
        b.append("ssh_pwauth: false\n");
        b.append("disable_root: true\n");
        b.append("preserve_hostname: false\n");
        b.append("hostname: ").append(quote(hostname)).append('\n');
        if (users.isEmpty()) {
            b.append("users: []\n");
        } else {
            b.append("users:\n");
            for (GuestUser u : users) {
                b.append("  - name: ").append(quote(u.login())).append('\n');
                b.append("    shell: \"/bin/bash\"\n");
                b.append("    sudo: ").append(quote(SUDO_RULE)).append('\n');
                b.append("    lock_passwd: true\n");
                if (u.keys().isEmpty()) {
                    b.append("    ssh_authorized_keys: []\n");
                } else {
                    b.append("    ssh_authorized_keys:\n");
                    for (String k : u.keys()) {
                        b.append("      - ").append(quote(k)).append('\n');
                    }
                }
            }
        }
        return b.toString();
    }

    /** {@code network-config} (version 2), or null when no interface is listed. */
    public String networkConfig() {
        if (interfaces.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder("version: 2\nethernets:\n");
        for (Interface i : interfaces) {
            b.append("  ").append(i.name()).append(":\n");
            b.append("    match:\n      macaddress: ").append(quote(i.mac())).append('\n');
            b.append("    set-name: ").append(quote(i.name())).append('\n');
            if (i.dhcp()) {
                // The control NIC only carries SSH: its DHCP server's route and resolver must not replace the experiment's.
                b.append("    dhcp4: true\n    dhcp4-overrides:\n      use-routes: false\n      use-dns: false\n");
            } else {
                b.append("    dhcp4: false\n");
            }
            if (i.address() != null) {
                b.append("    addresses:\n      - ").append(quote(i.address())).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * A YAML double-quoted scalar. The patterns above admit only printable ASCII, so escaping '\' and '"' is
     * complete; anything else is refused rather than escaped.
     */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) c) + " cannot go into the seed");
            }
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }
}
