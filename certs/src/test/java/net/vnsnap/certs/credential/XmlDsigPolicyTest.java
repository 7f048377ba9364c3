package net.vnsnap.certs.credential;

import static org.junit.jupiter.api.Assertions.*;

import java.security.Security;
import java.util.List;
import java.util.Set;
import net.vnsnap.certs.testkit.Fixtures;
import net.vnsnap.certs.testkit.TestCredentials;
import net.vnsnap.certs.testkit.TestCredentials.Level;
import net.vnsnap.certs.testkit.TestPki;
import net.vnsnap.certs.testkit.TestPki.Identity;
import net.vnsnap.certs.trust.TrustRoots;
import org.junit.jupiter.api.Test;

/** SHA-1 is allowed again and nothing else: the JDK's secure validation stays on with the rest of its policy. */
class XmlDsigPolicyTest {

    @Test
    void onlyTheTwoSha1EntriesAreRemoved() {
        XmlDsig.init();
        String policy = Security.getProperty(XmlDsig.POLICY_PROPERTY);
        assertFalse(policy.contains("xmldsig#rsa-sha1,") || policy.endsWith("xmldsig#rsa-sha1"), policy);
        assertFalse(policy.contains("disallowAlg http://www.w3.org/2000/09/xmldsig#sha1"), policy);
        for (String kept : List.of("disallowAlg http://www.w3.org/2000/09/xmldsig#dsa-sha1", "xmldsig-more#rsa-md5",
                "xmldsig-more#ecdsa-sha1", "REC-xslt-19991116", "maxTransforms 5", "maxReferences 30", "minKeySize RSA 1024",
                "noDuplicateIds", "noRetrievalMethodLoops", "disallowReferenceUriSchemes file http https")) {
            assertTrue(policy.contains(kept), "policy lost '" + kept + "': " + policy);
        }
    }

    @Test
    void secureValidationIsOnSoWeakKeysAreRefused() {
        // Our own checks do not look at key sizes; only the JDK's secure validation does (minKeySize RSA 1024).
        Identity weak = TestPki.ca("weak:ca", 512);
        Identity slice = TestPki.issue(weak, "urn:publicid:IDN+weak:ca+slice+s", false);
        Identity user = TestPki.issue(weak, "urn:publicid:IDN+weak:ca+user+u", false);
        String xml = TestCredentials.chain(weak, slice, "urn:publicid:IDN+weak:ca+slice+s",
                List.of(new Level(user, Fixtures.VALID.plusSeconds(3600), TestCredentials.SLICE_GRANTS)), TestCredentials.RSA_SHA256);
        CredentialVerifier v = new CredentialVerifier(TrustRoots.of(List.of(weak.cert())), Fixtures.at(Fixtures.VALID));
        CredentialException e = assertThrows(CredentialException.class, () -> v.verify(xml, null, null, Set.of()));
        assertEquals(CredentialFailure.BAD_SIGNATURE, e.reason());
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
    }
}
