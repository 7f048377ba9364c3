package net.vnsnap.rspec.model;

import java.util.List;

/** A login service of a node (services/login): how users reach it once provisioned. */
public record Login(String authentication, String hostname, String port, String username, List<XmlAttr> attrs, List<AnyElement> ext, Pos pos) implements ServicesPart {

    public Login {
        attrs = Lists.copy(attrs);
        ext = Lists.copy(ext);
        pos = Lists.pos(pos);
    }

    /** What an advertisement says of a host's VMs: SSH with keys, at {@code hostname} (null: given in the manifest). */
    public static Login sshAdvertised(String hostname) {
        return new Login("ssh-keys", hostname, null, null, List.of(), List.of(), Pos.NONE);
    }

    public static Login ssh(String hostname, int port, String username) {
        return new Login("ssh-keys", hostname, Integer.toString(port), username, List.of(), List.of(), Pos.NONE);
    }
}
