package net.vnsnap.certs.credential;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilder;
import net.vnsnap.certs.xml.SizeCappedInputStream;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.crypto.MarshalException;
import javax.xml.crypto.URIDereferencer;
import javax.xml.crypto.URIReferenceException;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureException;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.KeySelector;
import net.vnsnap.certs.xml.SafeXml;
import net.vnsnap.certs.xml.XmlInputException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * A parsed {@code signed-credential} document whose structure has been checked: one delegation chain of
 * {@code credential} elements, unique xml:ids, and exactly one Signature per credential, each of whose
 * signatures can then be verified against a key the caller chose.
 */
public final class SignedCredentialDocument {

    /** Largest credential accepted; a deep delegation chain with embedded certificates stays far below it. */
    public static final long MAX_BYTES = 2L * 1024 * 1024;
    /** Longest delegation chain accepted. */
    public static final int MAX_CHAIN = 16;

    static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    /** Creating a hardened builder costs as much as a parse; each thread keeps one and resets it. */
    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(SafeXml::documentBuilder);

    private final Document doc;
    /** The chain, the outermost (the caller's) credential first. */
    private final List<Element> chain;
    /** The Signature element covering each chain credential. */
    private final Map<Element, Element> signatureOf;

    private SignedCredentialDocument(Document doc, List<Element> chain, Map<Element, Element> signatureOf) {
        this.doc = doc;
        this.chain = List.copyOf(chain);
        this.signatureOf = signatureOf;
    }

    /** Parses and checks the structure; nothing is trusted yet. */
    public static SignedCredentialDocument parse(String xml) throws CredentialException {
        XmlDsig.init();
        if (xml == null || xml.isBlank()) {
            throw new CredentialException(CredentialFailure.MALFORMED, "credential is empty");
        }
        Document doc;
        try {
            doc = parseCapped(xml);
        } catch (XmlInputException e) {
            String why = switch (e.kind()) {
                case TOO_LARGE -> "credential is larger than " + MAX_BYTES + " bytes";
                case FORBIDDEN_CONSTRUCT -> "credential uses a forbidden XML construct: " + e.describe();
                case MALFORMED -> "credential is not well-formed XML: " + e.describe();
            };
            throw new CredentialException(CredentialFailure.MALFORMED, why, e);
        }
        Element root = doc.getDocumentElement();
        if (!isPlain(root, "signed-credential")) {
            throw new CredentialException(CredentialFailure.MALFORMED,
                    "credential document must have <signed-credential> as its root, not <" + root.getTagName() + ">");
        }
        Element top = null;
        Element signatures = null;
        for (Element e : children(root)) {
            if (isPlain(e, "credential") && top == null) {
                top = e;
            } else if (isPlain(e, "signatures") && signatures == null) {
                signatures = e;
            } else {
                throw new CredentialException(CredentialFailure.MALFORMED, "unexpected <" + e.getTagName()
                        + "> in <signed-credential>: only one <credential> and one <signatures> are allowed");
            }
        }
        if (top == null) {
            throw new CredentialException(CredentialFailure.MALFORMED, "<signed-credential> holds no <credential>");
        }
        List<Element> chain = new ArrayList<>();
        for (Element c = top; c != null; c = parentCredential(c)) {
            if (chain.size() == MAX_CHAIN) {
                throw new CredentialException(CredentialFailure.MALFORMED,
                        "delegation chain is longer than " + MAX_CHAIN + " credentials");
            }
            chain.add(c);
        }
        checkIds(doc, chain);
        Map<String, Element> byId = new HashMap<>();
        for (Element c : chain) {
            c.setIdAttributeNS(XML_NS, "id", true);
            byId.put(id(c), c);
        }
        Map<Element, Element> signatureOf = new IdentityHashMap<>();
        if (signatures != null) {
            for (Element s : children(signatures)) {
                if (!XmlDsig.DSIG_NS.equals(s.getNamespaceURI()) || !"Signature".equals(s.getLocalName())) {
                    throw new CredentialException(CredentialFailure.MALFORMED,
                            "unexpected <" + s.getTagName() + "> in <signatures>: only XML-DSig Signature elements are allowed");
                }
                if (s.hasAttributeNS(XML_NS, "id")) {
                    s.setIdAttributeNS(XML_NS, "id", true);
                }
                String ref = referencedId(s);
                Element target = byId.get(ref);
                if (target == null) {
                    throw new CredentialException(CredentialFailure.UNSIGNED, "signature " + name(s) + " refers to #" + ref
                            + ", which is not a credential of the delegation chain");
                }
                if (signatureOf.put(target, s) != null) {
                    throw new CredentialException(CredentialFailure.BAD_SIGNATURE,
                            "credential " + ref + " has more than one signature");
                }
                dropEmptyKeyInfoNames(s);
            }
        }
        for (Element c : chain) {
            if (!signatureOf.containsKey(c)) {
                throw new CredentialException(CredentialFailure.UNSIGNED, "credential " + id(c) + " ("
                        + (c == top ? "the outermost credential" : "a parent in the delegation chain") + ") has no signature");
            }
        }
        return new SignedCredentialDocument(doc, chain, signatureOf);
    }

    /** SafeXml's capped parse, on this thread's reused hardened builder. */
    private static Document parseCapped(String xml) throws XmlInputException {
        if (xml.length() > MAX_BYTES) {
            throw new XmlInputException(XmlInputException.Kind.TOO_LARGE, "document is larger than the limit of " + MAX_BYTES
                    + " bytes", -1, -1, null);
        }
        DocumentBuilder b = BUILDER.get();
        b.reset();
        try {
            return b.parse(new SizeCappedInputStream(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), MAX_BYTES));
        } catch (SAXParseException e) {
            throw SafeXml.translate(e);
        } catch (SizeCappedInputStream.TooLargeException e) {
            throw new XmlInputException(XmlInputException.Kind.TOO_LARGE, e.getMessage(), -1, -1, e);
        } catch (SAXException | IOException e) {
            throw new XmlInputException(XmlInputException.Kind.MALFORMED, String.valueOf(e.getMessage()), -1, -1, e);
        }
    }

    /** The delegation chain, outermost credential first, root (signed by an authority) last. */
    public List<Element> chain() {
        return chain;
    }

    /** The credential's xml:id. */
    public static String id(Element credential) {
        return credential.getAttributeNS(XML_NS, "id");
    }

    /** The xml:id of the Signature over {@code credential}, or a description when it has none. */
    public String signatureName(Element credential) {
        return name(signatureOf.get(credential));
    }

    /** The certificates in the KeyInfo of the signature over {@code credential}, in document order. */
    public List<X509Certificate> keyInfoCertificates(Element credential) throws CredentialException {
        Element sig = signatureOf.get(credential);
        List<X509Certificate> out = new ArrayList<>();
        NodeList certs = sig.getElementsByTagNameNS(XmlDsig.DSIG_NS, "X509Certificate");
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (int i = 0; i < certs.getLength(); i++) {
                byte[] der = Base64.getMimeDecoder().decode(certs.item(i).getTextContent().trim());
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + name(sig)
                    + " carries an unreadable X509Certificate in its KeyInfo: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Verifies the signature over {@code credential} with {@code key}, checking that its one Reference
     * resolves to exactly that element and that only accepted algorithms are used.
     */
    public void verifySignature(Element credential, PublicKey key, String signerName) throws CredentialException {
        Element sigEl = signatureOf.get(credential);
        String id = id(credential);
        String sigName = name(sigEl);
        XMLSignatureFactory fac = XmlDsig.factory();
        DOMValidateContext ctx = new DOMValidateContext(KeySelector.singletonKeySelector(key), sigEl);
        ctx.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
        ctx.setIdAttributeNS(credential, XML_NS, "id");
        URIDereferencer base = fac.getURIDereferencer();
        ctx.setURIDereferencer((ref, c) -> {
            if (!("#" + id).equals(ref.getURI())) {
                throw new URIReferenceException("reference " + ref.getURI() + " does not name credential " + id);
            }
            if (ctx.getElementById(id) != credential || doc.getElementById(id) != credential) {
                throw new URIReferenceException("#" + id + " does not resolve to the credential being verified");
            }
            return base.dereference(ref, c);
        });
        XMLSignature sig;
        try {
            sig = fac.unmarshalXMLSignature(ctx);
        } catch (MarshalException | RuntimeException e) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName
                    + " cannot be read: " + e.getMessage() + policyHint(e.getMessage()), e);
        }
        checkAlgorithms(sig.getSignedInfo(), sigName, id);
        boolean ok;
        try {
            ok = sig.validate(ctx);
        } catch (XMLSignatureException | RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName + " over credential "
                    + id + " cannot be checked: " + root.getMessage() + policyHint(root.getMessage()), e);
        }
        if (!ok) {
            String detail;
            try {
                Reference r = sig.getSignedInfo().getReferences().get(0);
                if (!sig.getSignatureValue().validate(ctx)) {
                    detail = "its SignatureValue does not verify with the key of " + signerName
                            + " (SignedInfo altered, or signed by someone else)";
                } else if (!r.validate(ctx)) {
                    detail = "the digest of credential " + id + " does not match (the credential was altered after signing)";
                } else {
                    detail = "validation failed";
                }
            } catch (XMLSignatureException e) {
                detail = e.getMessage();
            }
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName + " does not verify: " + detail);
        }
    }

    /** Explains a SHA-1 refusal that can only happen if the JDK read its policy before XmlDsig narrowed it. */
    private static String policyHint(String message) {
        if (message != null && message.contains("forbidden") && message.contains("sha1")) {
            return " (the JDK read jdk.xml.dsig.secureValidationPolicy before vnsnap allowed SHA-1; verify a credential"
                    + " before any other XML-signature validation in this JVM)";
        }
        return "";
    }

    private static void checkAlgorithms(SignedInfo si, String sigName, String id) throws CredentialException {
        String c14n = si.getCanonicalizationMethod().getAlgorithm();
        if (!XmlDsig.C14N_METHODS.contains(c14n)) {
            throw refused(sigName, "canonicalization", c14n);
        }
        String sm = si.getSignatureMethod().getAlgorithm();
        if (!XmlDsig.SIGNATURE_METHODS.contains(sm)) {
            throw refused(sigName, "signature method", sm);
        }
        if (si.getReferences().size() != 1) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName + " has "
                    + si.getReferences().size() + " references; a credential signature has exactly one");
        }
        Reference r = si.getReferences().get(0);
        if (!("#" + id).equals(r.getURI())) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName + " refers to "
                    + r.getURI() + " instead of #" + id);
        }
        if (!XmlDsig.DIGEST_METHODS.contains(r.getDigestMethod().getAlgorithm())) {
            throw refused(sigName, "digest method", r.getDigestMethod().getAlgorithm());
        }
        for (Object t : r.getTransforms()) {
            String alg = ((Transform) t).getAlgorithm();
            if (!XmlDsig.TRANSFORMS.contains(alg)) {
                throw refused(sigName, "transform", alg);
            }
        }
    }

    private static CredentialException refused(String sigName, String what, String alg) {
        return new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + sigName + " uses " + what + " "
                + alg + ", which this AM does not accept");
    }

    /** Every xml:id must be unique and every credential element must belong to the chain (no hidden copies). */
    private static void checkIds(Document doc, List<Element> chain) throws CredentialException {
        Set<String> seen = new HashSet<>();
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        int credentials = 0;
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttributeNS(XML_NS, "id") && !seen.add(e.getAttributeNS(XML_NS, "id"))) {
                throw new CredentialException(CredentialFailure.DUPLICATE_ID, "xml:id '" + e.getAttributeNS(XML_NS, "id")
                        + "' is used more than once; every credential and signature needs its own id");
            }
            if (isPlain(e, "credential")) {
                credentials++;
            }
        }
        if (credentials != chain.size()) {
            throw new CredentialException(CredentialFailure.MALFORMED, "the document holds " + credentials
                    + " <credential> elements but the delegation chain has " + chain.size()
                    + "; a credential outside the chain is not allowed");
        }
        for (Element c : chain) {
            if (id(c).isEmpty()) {
                throw new CredentialException(CredentialFailure.MALFORMED, "a <credential> has no xml:id attribute");
            }
        }
    }

    private static Element parentCredential(Element credential) throws CredentialException {
        Element parent = null;
        for (Element e : children(credential)) {
            if (isPlain(e, "parent")) {
                if (parent != null) {
                    throw new CredentialException(CredentialFailure.MALFORMED, "credential " + id(credential) + " has two <parent> elements");
                }
                parent = e;
            }
        }
        if (parent == null) {
            return null;
        }
        List<Element> inner = children(parent);
        if (inner.size() != 1 || !isPlain(inner.get(0), "credential")) {
            throw new CredentialException(CredentialFailure.MALFORMED, "<parent> of credential " + id(credential)
                    + " must hold exactly one <credential>");
        }
        return inner.get(0);
    }

    private static String referencedId(Element sig) throws CredentialException {
        NodeList refs = sig.getElementsByTagNameNS(XmlDsig.DSIG_NS, "Reference");
        if (refs.getLength() != 1) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + name(sig) + " has " + refs.getLength()
                    + " references; a credential signature has exactly one");
        }
        String uri = ((Element) refs.item(0)).getAttribute("URI");
        if (!uri.startsWith("#") || uri.length() < 2) {
            throw new CredentialException(CredentialFailure.BAD_SIGNATURE, "signature " + name(sig) + " refers to '" + uri
                    + "'; only a same-document reference #id to a credential is accepted");
        }
        return uri.substring(1);
    }

    /** The reference tools write empty X509SubjectName/X509IssuerSerial, which the JDK cannot unmarshal; KeyInfo is unsigned. */
    private static void dropEmptyKeyInfoNames(Element sig) {
        for (String local : new String[] {"X509SubjectName", "X509IssuerSerial"}) {
            NodeList nl = sig.getElementsByTagNameNS(XmlDsig.DSIG_NS, local);
            List<Node> empty = new ArrayList<>();
            for (int i = 0; i < nl.getLength(); i++) {
                Element e = (Element) nl.item(i);
                if (children(e).isEmpty() && e.getTextContent().isBlank()) {
                    empty.add(e);
                }
            }
            for (Node n : empty) {
                n.getParentNode().removeChild(n);
            }
        }
    }

    static String name(Element sig) {
        if (sig == null) {
            return "(none)";
        }
        String id = sig.getAttributeNS(XML_NS, "id");
        return id.isEmpty() ? "without xml:id" : id;
    }

    static boolean isPlain(Element e, String local) {
        return e.getNamespaceURI() == null && local.equals(e.getLocalName());
    }

    /** The element children of {@code e}, in order. */
    public static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE) {
                out.add((Element) n);
            }
        }
        return out;
    }

    /** The text of the one un-namespaced child {@code local} of {@code e}, or null when absent; two are refused. */
    public static String childText(Element e, String local) throws CredentialException {
        Element found = child(e, local);
        return found == null ? null : found.getTextContent();
    }

    /** The one un-namespaced child {@code local} of {@code e}, or null when absent; two are refused. */
    public static Element child(Element e, String local) throws CredentialException {
        Element found = null;
        for (Element c : children(e)) {
            if (isPlain(c, local)) {
                if (found != null) {
                    throw new CredentialException(CredentialFailure.MALFORMED, "<" + e.getTagName() + "> has more than one <" + local + ">");
                }
                found = c;
            }
        }
        return found;
    }
}
