package net.vnsnap.certs.credential;

import net.vnsnap.certs.GeniCode;

/** Every reason a credential is refused, each answered with one geni_code. */
public enum CredentialFailure {
    /** Not well-formed, too large, a DOCTYPE, or not the signed-credential structure. */
    MALFORMED(GeniCode.CREDENTIAL_INVALID),
    /** A {geni_type, geni_version} pair this AM does not accept. */
    UNSUPPORTED_TYPE(GeniCode.CREDENTIAL_INVALID),
    /** A credential in the chain has no Signature, or a Signature covers nothing in the chain. */
    UNSIGNED(GeniCode.CREDENTIAL_INVALID),
    /** Two elements share an xml:id, so a reference could resolve to either. */
    DUPLICATE_ID(GeniCode.CREDENTIAL_INVALID),
    /** A signature does not verify, covers the wrong element, or uses a refused algorithm. */
    BAD_SIGNATURE(GeniCode.CREDENTIAL_INVALID),
    /** A delegated credential widens privileges, changes the target, outlives its parent, or is not signed by the parent's owner. */
    BAD_DELEGATION(GeniCode.CREDENTIAL_INVALID),
    /** owner_urn/target_urn disagree with the certificates they name, or a URN is invalid. */
    INCONSISTENT(GeniCode.CREDENTIAL_INVALID),
    /** A certificate on a chain is not yet valid. */
    CERTIFICATE_NOT_YET_VALID(GeniCode.CREDENTIAL_INVALID),
    /** The credential (or a parent) is at or past its expiry. */
    EXPIRED(GeniCode.CREDENTIAL_EXPIRED),
    /** A certificate on a chain is past its notAfter. */
    CERTIFICATE_EXPIRED(GeniCode.CREDENTIAL_EXPIRED),
    /** The credential's owner is not the caller. */
    OWNER_MISMATCH(GeniCode.CREDENTIAL_MISMATCH),
    /** The credential's target is not the object the call is about. */
    TARGET_MISMATCH(GeniCode.CREDENTIAL_MISMATCH),
    /** A signer or gid does not chain to a trusted root, or the signer may not issue for the target. */
    UNTRUSTED_SIGNER(GeniCode.CREDENTIAL_SIGNER_UNTRUSTED),
    /** The credential is valid but grants no privilege for the operation. */
    FORBIDDEN(GeniCode.FORBIDDEN);

    private final GeniCode code;

    CredentialFailure(GeniCode code) {
        this.code = code;
    }

    /** The geni_code an AM answers with. */
    public GeniCode code() {
        return code;
    }
}
