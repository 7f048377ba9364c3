package net.vnsnap.certs.federation;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilder;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.certs.xml.XmlInputException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Writes and signs GENI credentials in the layout the reference clearinghouse emits: slice and user
 * privilege credentials (geni_sfa), delegations of them, and speaks-for credentials (geni_abac).
 */
public final class CredentialFactory {

    /** A privilege and whether its holder may delegate it further. */
    public record Grant(String name, boolean canDelegate) {
    }

    /** What a slice authority grants a slice's owner (determine_rights "slice" of the reference tools). */
    public static final List<Grant> SLICE_PRIVILEGES = List.of(new Grant("refresh", true), new Grant("embed", true),
            new Grant("bind", true), new Grant("control", true), new Grant("info", true));

    /** What a member authority grants a user about itself. */
    public static final List<Grant> USER_PRIVILEGES = List.of(new Grant("refresh", false),
            new Grant("resolve", false), new Grant("info", false));

    private static final String XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
    private static final DateTimeFormatter EXPIRES = DateTimeFormatter.ISO_INSTANT;

    private final Clock clock;
    private final CredentialSigner signer;
    private final SecureRandom random = new SecureRandom();

    public CredentialFactory(Clock clock, CredentialSigner signer) {
        this.clock = clock;
        this.signer = signer;
    }

    /** A privilege credential for {@code owner} over {@code target}, signed by {@code issuer}. */
    public String privilegeCredential(Identity issuer, List<X509Certificate> owner, List<X509Certificate> target,
            Instant expires, List<Grant> grants) throws GeneralSecurityException {
        Document doc = newSignedCredential("http://www.planet-lab.org/resources/sfa/credential.xsd",
                "http://www.planet-lab.org/resources/sfa/ext/policy/1 http://www.planet-lab.org/resources/sfa/ext/policy/1/policy.xsd");
        Element cred = privilegeElement(doc, "ref0", owner, target, expires, grants);
        doc.getDocumentElement().insertBefore(cred, signatures(doc));
        signer.sign(cred, signatures(doc), issuer);
        return SafeXml.toString(doc, false);
    }

    /** A slice credential: the slice authority grants the user every slice privilege, delegatable. */
    public String sliceCredential(Identity sliceAuthority, List<X509Certificate> user, List<X509Certificate> slice,
            Instant expires) throws GeneralSecurityException {
        return privilegeCredential(sliceAuthority, user, slice, expires, SLICE_PRIVILEGES);
    }

    /** A user credential: owner and target are the user. */
    public String userCredential(Identity authority, List<X509Certificate> user, Instant expires) throws GeneralSecurityException {
        return privilegeCredential(authority, user, user, expires, USER_PRIVILEGES);
    }

    /**
     * Delegates a privilege credential owned by {@code owner} to {@code delegatee}: the new credential carries
     * the old one as its parent, keeps the target, and grants {@code privileges} (null = every delegatable one).
     *
     * @param expires when the delegation ends; null keeps the parent's expiry
     */
    public String delegate(String parentXml, Identity owner, List<X509Certificate> delegatee, Set<String> privileges,
            boolean canDelegate, Instant expires) throws GeneralSecurityException, XmlInputException {
        Document parentDoc = SafeXml.parse(parentXml, SafeXml.DEFAULT_MAX_BYTES);
        Element parentCred = firstChild(parentDoc.getDocumentElement(), "credential");
        Element parentSigs = firstChild(parentDoc.getDocumentElement(), "signatures");
        if (parentCred == null || parentSigs == null) {
            throw new GeneralSecurityException("not a signed credential: no <credential> or <signatures>");
        }
        String parentOwner = text(parentCred, "owner_urn");
        GeniUrn ownerUrn = FederationNames.urnOf(owner.certificate());
        if (!GeniUrn.same(parentOwner, ownerUrn.toString())) {
            throw new GeneralSecurityException("only the credential's owner " + parentOwner + " can delegate it, not " + ownerUrn);
        }
        Instant parentExpires = OffsetDateTime.parse(text(parentCred, "expires")).toInstant();
        Instant childExpires = expires == null ? parentExpires : expires;
        if (childExpires.isAfter(parentExpires)) {
            throw new GeneralSecurityException("a delegation cannot outlive its parent (expires " + parentExpires + ")");
        }
        Map<String, Boolean> parentGrants = new LinkedHashMap<>();
        Element privs = firstChild(parentCred, "privileges");
        for (Node n = privs == null ? null : privs.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element p && "privilege".equals(p.getLocalName())) {
                parentGrants.put(text(p, "name"), Boolean.parseBoolean(text(p, "can_delegate").trim()));
            }
        }
        List<Grant> grants = new ArrayList<>();
        if (privileges == null) {
            parentGrants.forEach((name, delegatable) -> {
                if (delegatable) {
                    grants.add(new Grant(name, canDelegate));
                }
            });
        } else {
            for (String name : privileges) {
                Boolean delegatable = parentGrants.get(name);
                if (delegatable == null || !delegatable) {
                    throw new GeneralSecurityException("privilege '" + name + "' is not delegatable in the parent credential");
                }
                grants.add(new Grant(name, canDelegate));
            }
        }
        if (grants.isEmpty()) {
            throw new GeneralSecurityException("the parent credential has no delegatable privileges");
        }

        Document doc = newSignedCredential(
                parentDoc.getDocumentElement().getAttributeNS(XSI_NS, "noNamespaceSchemaLocation"),
                parentDoc.getDocumentElement().getAttributeNS(XSI_NS, "schemaLocation"));
        String id = "ref" + (highestRefNumber(parentDoc.getDocumentElement()) + 1);
        List<X509Certificate> target = List.of();
        Element cred = privilegeElement(doc, id, delegatee, target, childExpires, grants);
        // The target GID is copied verbatim: a delegation must name exactly the parent's target.
        Element targetGid = firstChild(cred, "target_gid");
        targetGid.setTextContent(text(parentCred, "target_gid"));
        firstChild(cred, "target_urn").setTextContent(text(parentCred, "target_urn"));
        Element parentHolder = doc.createElement("parent");
        parentHolder.appendChild(doc.importNode(parentCred, true));
        cred.appendChild(parentHolder);
        doc.getDocumentElement().insertBefore(cred, signatures(doc));
        for (Node n = parentSigs.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                signatures(doc).appendChild(doc.importNode(n, true));
            }
        }
        signer.sign(cred, signatures(doc), owner);
        return SafeXml.toString(doc, false);
    }

    /** A speaks-for credential: the user states that {@code tool} may speak for it, signed by the user. */
    public String speaksFor(Identity user, X509Certificate tool, Instant expires) throws GeneralSecurityException {
        Document doc = newSignedCredential("http://www.geni.net/resources/credential/2/credential.xsd",
                "http://www.protogeni.net/resources/credential/ext/policy/1 http://www.protogeni.net/resources/credential/ext/policy/1/policy.xsd");
        Element cred = doc.createElement("credential");
        cred.setAttributeNS(CredentialSigner.XML_NS, "xml:id", "ref0");
        add(cred, "type", "abac");
        for (String empty : new String[] {"serial", "owner_gid", "owner_urn", "target_gid", "target_urn", "uuid"}) {
            add(cred, empty, null);
        }
        add(cred, "expires", format(expires));
        String userKeyId = GeniCertificate.of(user.certificate()).keyId();
        Element rt0 = doc.createElement("rt0");
        add(rt0, "version", "1.1");
        Element head = add(rt0, "head", null);
        head.appendChild(principal(doc, userKeyId, FederationNames.urnOf(user.certificate()).toString()));
        add(head, "role", "speaks_for_" + userKeyId);
        Element tail = add(rt0, "tail", null);
        tail.appendChild(principal(doc, GeniCertificate.of(tool).keyId(), FederationNames.urnOf(tool).toString()));
        add(cred, "abac", null).appendChild(rt0);
        doc.getDocumentElement().insertBefore(cred, signatures(doc));
        signer.sign(cred, signatures(doc), user);
        return SafeXml.toString(doc, false);
    }

    private Element privilegeElement(Document doc, String id, List<X509Certificate> owner, List<X509Certificate> target,
            Instant expires, List<Grant> grants) {
        Element cred = doc.createElement("credential");
        cred.setAttributeNS(CredentialSigner.XML_NS, "xml:id", id);
        add(cred, "type", "privilege");
        add(cred, "serial", Long.toString(1 + (random.nextLong() >>> 1) % 1_000_000_000L));
        add(cred, "owner_gid", PemFiles.certificates(owner));
        add(cred, "owner_urn", FederationNames.urnOf(owner.get(0)).toString());
        add(cred, "target_gid", target.isEmpty() ? "" : PemFiles.certificates(target));
        add(cred, "target_urn", target.isEmpty() ? "" : FederationNames.urnOf(target.get(0)).toString());
        add(cred, "uuid", null);
        add(cred, "expires", format(expires));
        Element privs = add(cred, "privileges", null);
        for (Grant g : grants) {
            Element p = add(privs, "privilege", null);
            add(p, "name", g.name());
            add(p, "can_delegate", Boolean.toString(g.canDelegate()));
        }
        return cred;
    }

    private Element principal(Document doc, String keyId, String mnemonic) {
        Element p = doc.createElement("ABACprincipal");
        add(p, "keyid", keyId);
        add(p, "mnemonic", mnemonic);
        return p;
    }

    private static Document newSignedCredential(String noNamespaceSchemaLocation, String schemaLocation) {
        DocumentBuilder b = SafeXml.documentBuilder();
        Document doc = b.newDocument();
        Element root = doc.createElement("signed-credential");
        root.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:xsi", XSI_NS);
        if (noNamespaceSchemaLocation != null && !noNamespaceSchemaLocation.isEmpty()) {
            root.setAttributeNS(XSI_NS, "xsi:noNamespaceSchemaLocation", noNamespaceSchemaLocation);
        }
        if (schemaLocation != null && !schemaLocation.isEmpty()) {
            root.setAttributeNS(XSI_NS, "xsi:schemaLocation", schemaLocation);
        }
        doc.appendChild(root);
        root.appendChild(doc.createElement("signatures"));
        return doc;
    }

    private static Element signatures(Document doc) {
        return firstChild(doc.getDocumentElement(), "signatures");
    }

    private static Element add(Element parent, String name, String text) {
        Element e = parent.getOwnerDocument().createElement(name);
        if (text != null) {
            e.setTextContent(text);
        }
        parent.appendChild(e);
        return e;
    }

    private static Element firstChild(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName() != null ? e.getLocalName() : e.getNodeName())) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String localName) {
        Element e = firstChild(parent, localName);
        return e == null ? "" : e.getTextContent();
    }

    /** The highest N of every {@code xml:id="refN"} in the document, so a new credential's id is unique. */
    private static int highestRefNumber(Element root) {
        int max = -1;
        var all = root.getElementsByTagName("credential");
        for (int i = 0; i < all.getLength(); i++) {
            String id = ((Element) all.item(i)).getAttributeNS(CredentialSigner.XML_NS, "id");
            if (id.matches("ref\\d{1,6}")) {
                max = Math.max(max, Integer.parseInt(id.substring(3)));
            }
        }
        return max;
    }

    private static String format(Instant t) {
        return EXPIRES.format(t.truncatedTo(ChronoUnit.SECONDS));
    }

    /** The clock this factory was built with, for callers that compute default expiries. */
    public Clock clock() {
        return clock;
    }
}
