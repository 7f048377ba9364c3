package net.vnsnap.certs.credential;

import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.crypto.dsig.XMLSignatureFactory;

/**
 * The JDK XML-DSig factory, with the secure-validation policy narrowed once so that rsa-sha1 and sha1
 * (which GENI clearinghouses still use) are allowed while every other restriction stays.
 */
final class XmlDsig {

    static final String DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
    static final String POLICY_PROPERTY = "jdk.xml.dsig.secureValidationPolicy";

    /** The only policy entries removed: the two SHA-1 algorithms GENI credentials are signed with. */
    private static final Set<String> ALLOWED_AGAIN = Set.of(
            "disallowAlg http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "disallowAlg http://www.w3.org/2000/09/xmldsig#sha1");

    static final Set<String> SIGNATURE_METHODS = Set.of(
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    static final Set<String> DIGEST_METHODS = Set.of(
            "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmlenc#sha256");
    static final Set<String> C14N_METHODS = Set.of(
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments");
    static final Set<String> TRANSFORMS;

    static {
        narrowPolicy();
        java.util.HashSet<String> t = new java.util.HashSet<>(C14N_METHODS);
        t.add("http://www.w3.org/2000/09/xmldsig#enveloped-signature");
        TRANSFORMS = Set.copyOf(t);
    }

    /** Factories are cheap to keep and not documented as thread-safe: one per thread. */
    private static final ThreadLocal<XMLSignatureFactory> FACTORY =
            ThreadLocal.withInitial(() -> XMLSignatureFactory.getInstance("DOM"));

    private XmlDsig() {
    }

    static XMLSignatureFactory factory() {
        return FACTORY.get();
    }

    /** Removes the SHA-1 entries from the JDK policy; must run before the JDK reads the policy. */
    private static synchronized void narrowPolicy() {
        String policy = Security.getProperty(POLICY_PROPERTY);
        if (policy == null) {
            return;
        }
        List<String> kept = new ArrayList<>();
        boolean changed = false;
        for (String entry : policy.split(",")) {
            String e = entry.trim().replaceAll("\\s+", " ");
            if (ALLOWED_AGAIN.contains(e)) {
                changed = true;
            } else if (!e.isEmpty()) {
                kept.add(e);
            }
        }
        if (changed) {
            Security.setProperty(POLICY_PROPERTY, String.join(",", kept));
        }
    }

    /** Forces the policy change now; callers that load the JDK XML-DSig classes themselves call this first. */
    static void init() {
        // Loading this class ran the static initializer.
    }
}
