package net.vnsnap.certs.federation;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.xml.crypto.MarshalException;
import javax.xml.crypto.URIDereferencer;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignatureMethod;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureException;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Signs one {@code <credential xml:id=...>} of a signed-credential document with the JDK's XML-DSig API,
 * in the layout the GENI tools use: a sibling Signature in {@code <signatures>}, inclusive C14N,
 * an enveloped-signature transform, the signer's chain in KeyInfo.
 */
public final class CredentialSigner {

    /** The XML namespace that holds {@code xml:id}. */
    static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    /** Signature algorithms we emit; SHA-256 by default, SHA-1 only for peers that need it. */
    public enum Algorithm {
        RSA_SHA256(SignatureMethod.RSA_SHA256, DigestMethod.SHA256),
        RSA_SHA1(SignatureMethod.RSA_SHA1, DigestMethod.SHA1);

        final String signatureUri;
        final String digestUri;

        Algorithm(String signatureUri, String digestUri) {
            this.signatureUri = signatureUri;
            this.digestUri = digestUri;
        }
    }

    private final XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
    private final Algorithm algorithm;

    public CredentialSigner(Algorithm algorithm) {
        this.algorithm = algorithm;
    }

    /**
     * Appends to {@code signatures} a Signature with {@code xml:id="Sig_<id>"} over {@code credential},
     * whose {@code xml:id} is {@code id}, made with the signer's key and carrying its chain.
     */
    public void sign(Element credential, Element signatures, Identity signer) throws GeneralSecurityException {
        String id = credential.getAttributeNS(XML_NS, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("credential has no xml:id");
        }
        credential.setIdAttributeNS(XML_NS, "id", true);
        try {
            Reference ref = factory.newReference("#" + id, factory.newDigestMethod(algorithm.digestUri, null),
                    List.of(factory.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)), null, null);
            SignedInfo info = factory.newSignedInfo(
                    factory.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE, (C14NMethodParameterSpec) null),
                    factory.newSignatureMethod(algorithm.signatureUri, null), List.of(ref));
            KeyInfoFactory kif = factory.getKeyInfoFactory();
            List<javax.xml.crypto.XMLStructure> keyInfoContent = new ArrayList<>();
            keyInfoContent.add(kif.newX509Data(new ArrayList<X509Certificate>(signer.chain())));
            try {
                keyInfoContent.add(kif.newKeyValue(signer.certificate().getPublicKey()));
            } catch (java.security.KeyException e) {
                throw new GeneralSecurityException("cannot describe the signer's key", e);
            }
            KeyInfo keyInfo = kif.newKeyInfo(keyInfoContent);
            XMLSignature signature = factory.newXMLSignature(info, keyInfo, null, null, null);
            DOMSignContext ctx = new DOMSignContext(signer.key(), signatures);
            ctx.setDefaultNamespacePrefix("");
            // The GENI tools name the Signature by xml:id. Inclusive C14N 1.0 copies xml:* attributes of
            // ancestors into the canonical SignedInfo, so the attribute must exist before SignedInfo is signed.
            // The JDK marshals the Signature element, then dereferences the Reference, then signs SignedInfo:
            // the dereference is the one public hook between the first two steps.
            URIDereferencer standard = factory.getURIDereferencer();
            ctx.setURIDereferencer((uriReference, context) -> {
                Node last = signatures.getLastChild();
                if (last instanceof Element sigEl && !sigEl.hasAttributeNS(XML_NS, "id")) {
                    sigEl.setAttributeNS(XML_NS, "xml:id", "Sig_" + id);
                }
                return standard.dereference(uriReference, context);
            });
            signature.sign(ctx);
            Node last = signatures.getLastChild();
            if (!(last instanceof Element sigEl) || !("Sig_" + id).equals(sigEl.getAttributeNS(XML_NS, "id"))) {
                throw new GeneralSecurityException("the signature of " + id + " was not named Sig_" + id);
            }
        } catch (MarshalException | XMLSignatureException e) {
            throw new GeneralSecurityException("cannot sign credential " + id + ": " + e.getMessage(), e);
        }
    }
}
