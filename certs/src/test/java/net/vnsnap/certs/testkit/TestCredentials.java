package net.vnsnap.certs.testkit;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import net.vnsnap.certs.testkit.TestPki.Identity;
import net.vnsnap.certs.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Builds and signs geni_sfa credentials (and speaks-for ones) the way a clearinghouse would, for tests only. */
public final class TestCredentials {

    public static final String XML_NS = "http://www.w3.org/XML/1998/namespace";
    public static final String RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    public static final String RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

    /** One privilege to write. */
    public record Grant(String name, boolean canDelegate) {
    }

    /** One credential of a chain: its owner, expiry and privileges; level 0 is signed by the authority, level i by level i-1's owner. */
    public record Level(Identity owner, Instant expires, List<Grant> grants, String ownerUrnOverride) {
        public Level(Identity owner, Instant expires, List<Grant> grants) {
            this(owner, expires, grants, null);
        }
    }

    public static final List<Grant> SLICE_GRANTS = List.of(new Grant("refresh", true), new Grant("embed", true),
            new Grant("bind", true), new Grant("control", true), new Grant("info", true));

    static {
        // Let the verifier narrow the JDK's XML-DSig policy before anything here touches the XML-DSig classes.
        try {
            Class.forName("net.vnsnap.certs.credential.XmlDsig");
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TestCredentials() {
    }

    /** A signed privilege credential chain for {@code target}; the outermost credential is the last level's. */
    public static String chain(Identity authority, Identity target, String targetUrn, List<Level> levels, String sigAlg) {
        List<Identity> signers = new ArrayList<>();
        List<Identity> targets = new ArrayList<>();
        for (int i = 0; i < levels.size(); i++) {
            signers.add(i == 0 ? authority : levels.get(i - 1).owner());
            targets.add(target);
        }
        return chain(signers, targets, levels, sigAlg);
    }

    /** As above with an explicit signer and target per level, to build broken delegations. */
    public static String chain(List<Identity> signers, List<Identity> targets, List<Level> levels, String sigAlg) {
        Document doc = SafeXml.documentBuilder().newDocument();
        Element root = doc.createElement("signed-credential");
        doc.appendChild(root);
        List<Element> creds = new ArrayList<>();
        Element inner = null;
        for (int i = 0; i < levels.size(); i++) {
            Level l = levels.get(i);
            Element c = credential(doc, "ref" + i, "privilege", TestPki.pem(l.owner().chain()),
                    l.ownerUrnOverride() != null ? l.ownerUrnOverride() : urnOf(l.owner()), TestPki.pem(targets.get(i).chain()), urnOf(targets.get(i)), l.expires());
            Element privs = add(doc, c, "privileges", null);
            for (Grant g : l.grants()) {
                Element p = add(doc, privs, "privilege", null);
                add(doc, p, "name", g.name());
                add(doc, p, "can_delegate", Boolean.toString(g.canDelegate()));
            }
            if (inner != null) {
                add(doc, c, "parent", null).appendChild(inner);
            }
            inner = c;
            creds.add(c);
        }
        root.appendChild(inner);
        Element sigs = add(doc, root, "signatures", null);
        for (int i = 0; i < levels.size(); i++) {
            Identity signer = signers.get(i);
            sign(sigs, creds.get(i), signer.key(), signer.chain(), sigAlg);
        }
        return SafeXml.toString(doc, false);
    }

    /** A speaks-for (ABAC) credential: {@code user} says {@code tool} speaks for it, signed by the user. */
    public static String speaksFor(Identity user, String userKeyId, String toolKeyId, Instant expires, String role) {
        Document doc = SafeXml.documentBuilder().newDocument();
        Element root = doc.createElement("signed-credential");
        doc.appendChild(root);
        Element c = credential(doc, "ref0", "abac", "", "", "", "", expires);
        Element rt0 = add(doc, add(doc, c, "abac", null), "rt0", null);
        add(doc, rt0, "version", "1.1");
        Element head = add(doc, rt0, "head", null);
        Element hp = add(doc, head, "ABACprincipal", null);
        add(doc, hp, "keyid", userKeyId);
        add(doc, hp, "mnemonic", urnOf(user));
        add(doc, head, "role", role);
        Element tail = add(doc, rt0, "tail", null);
        Element tp = add(doc, tail, "ABACprincipal", null);
        add(doc, tp, "keyid", toolKeyId);
        root.appendChild(c);
        Element sigs = add(doc, root, "signatures", null);
        sign(sigs, c, user.key(), user.chain(), RSA_SHA256);
        return SafeXml.toString(doc, false);
    }

    private static Element credential(Document doc, String id, String type, String ownerGid, String ownerUrn, String targetGid,
            String targetUrn, Instant expires) {
        Element c = doc.createElement("credential");
        c.setAttributeNS(XML_NS, "xml:id", id);
        add(doc, c, "type", type);
        add(doc, c, "serial", "8");
        add(doc, c, "owner_gid", ownerGid);
        add(doc, c, "owner_urn", ownerUrn);
        add(doc, c, "target_gid", targetGid);
        add(doc, c, "target_urn", targetUrn);
        add(doc, c, "uuid", "");
        add(doc, c, "expires", expires.toString());
        return c;
    }

    private static Element add(Document doc, Element parent, String name, String text) {
        Element e = doc.createElement(name);
        if (text != null && !text.isEmpty()) {
            e.setTextContent(text);
        }
        parent.appendChild(e);
        return e;
    }

    public static String urnOf(Identity id) {
        return net.vnsnap.certs.x509.GeniCertificate.of(id.cert()).urn().orElseThrow().toString();
    }

    /** Appends to {@code sigs} an enveloped-style signature over {@code cred} (by xml:id) with the signer's chain in KeyInfo. */
    public static void sign(Element sigs, Element cred, PrivateKey key, List<X509Certificate> keyInfoChain, String sigAlg) {
        try {
            String id = cred.getAttributeNS(XML_NS, "id");
            cred.setIdAttributeNS(XML_NS, "id", true);
            XMLSignatureFactory f = XMLSignatureFactory.getInstance("DOM");
            String digest = sigAlg.equals(RSA_SHA1) ? DigestMethod.SHA1 : DigestMethod.SHA256;
            Reference ref = f.newReference("#" + id, f.newDigestMethod(digest, null),
                    List.of(f.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)), null, null);
            SignedInfo si = f.newSignedInfo(f.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE, (C14NMethodParameterSpec) null),
                    f.newSignatureMethod(sigAlg, null), List.of(ref));
            KeyInfoFactory kif = f.getKeyInfoFactory();
            KeyInfo ki = kif.newKeyInfo(List.of(kif.newX509Data(new ArrayList<Object>(keyInfoChain))));
            DOMSignContext ctx = new DOMSignContext(key, sigs);
            ctx.setIdAttributeNS(cred, XML_NS, "id");
            XMLSignature sig = f.newXMLSignature(si, ki);
            // Inclusive C14N 1.0 copies inherited xml:* attributes onto SignedInfo, so the Signature's xml:id must be
            // in scope while signing; the JDK cannot add it to Signature first, so it sits on the parent meanwhile.
            sigs.setAttributeNS(XML_NS, "xml:id", "Sig_" + id);
            sig.sign(ctx);
            sigs.removeAttributeNS(XML_NS, "id");
            Element sigEl = (Element) sigs.getLastChild();
            sigEl.setAttributeNS(XML_NS, "xml:id", "Sig_" + id);
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign test credential", e);
        }
    }
}
