package net.vnsnap.certs.credential;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;

/**
 * Reads what a signed credential claims, level by level, without trusting it: for people
 * ({@code vnsnap-certs show}) and logs, never for access decisions.
 */
public final class CredentialInspector {

    /** One credential of a delegation chain (outermost first), or the single statement of a speaks-for credential. */
    public record Level(String id, String type, String owner, String target, Instant expires, List<Privilege> privileges,
            String signature) {
        public Level {
            privileges = List.copyOf(privileges);
        }
    }

    private CredentialInspector() {
    }

    public static List<Level> inspect(String xml) throws CredentialException {
        SignedCredentialDocument doc = SignedCredentialDocument.parse(xml);
        List<Level> out = new ArrayList<>();
        for (Element e : doc.chain()) {
            String type = SignedCredentialDocument.childText(e, "type");
            String id = SignedCredentialDocument.id(e);
            if (type != null && type.trim().equals("abac")) {
                out.add(new Level(id, "abac", mnemonic(e, "head"), mnemonic(e, "tail"),
                        Rfc3339.parse(SignedCredentialDocument.childText(e, "expires"), "<expires> of credential " + id),
                        List.of(), doc.signatureName(e)));
            } else {
                ParsedCredential c = ParsedCredential.read(e, null);
                out.add(new Level(id, "privilege", c.ownerUrn().toString(), c.targetUrn().toString(), c.expires(),
                        c.privileges(), doc.signatureName(e)));
            }
        }
        return out;
    }

    /** The mnemonic (URN) of the principal in the rt0 head or tail: who speaks for whom. */
    private static String mnemonic(Element cred, String part) throws CredentialException {
        Element abac = SignedCredentialDocument.child(cred, "abac");
        Element rt0 = abac == null ? null : SignedCredentialDocument.child(abac, "rt0");
        Element p = rt0 == null ? null : SignedCredentialDocument.child(rt0, part);
        Element principal = p == null ? null : SignedCredentialDocument.child(p, "ABACprincipal");
        if (principal == null) {
            return "(none)";
        }
        String m = SignedCredentialDocument.childText(principal, "mnemonic");
        String k = SignedCredentialDocument.childText(principal, "keyid");
        return (m == null ? "" : m.trim() + " ") + "keyid " + (k == null ? "?" : k.trim());
    }
}
