package net.vnsnap.certs.credential;

import java.util.Objects;

/**
 * One credential as an AM API v3 call carries it ({@code geni_type}, {@code geni_version}, {@code geni_value});
 * AM API v2's bare XML strings are geni_sfa version 2.
 */
public record CredentialEnvelope(String type, String version, String xml) {

    /** The credential kinds this AM verifies. */
    public enum Kind {
        /** geni_sfa 2 or 3: a signed privilege credential, checked by {@link CredentialVerifier}. */
        SFA,
        /** geni_abac 1: a speaks-for credential, checked by the speaks-for verifier. */
        ABAC
    }

    public CredentialEnvelope {
        Objects.requireNonNull(xml, "geni_value");
    }

    /** An AM API v2 credential: a bare XML string. */
    public static CredentialEnvelope v2(String xml) {
        return new CredentialEnvelope("geni_sfa", "2", xml);
    }

    /** Which verifier handles this credential; refuses any other type or version by name. */
    public Kind kind() throws CredentialException {
        String t = type == null ? "" : type.trim();
        String v = version == null ? "" : version.trim();
        if (t.equalsIgnoreCase("geni_sfa")) {
            if (v.equals("2") || v.equals("3")) {
                return Kind.SFA;
            }
            throw new CredentialException(CredentialFailure.UNSUPPORTED_TYPE,
                    "credential type geni_sfa version '" + v + "' is not supported; use version 2 or 3");
        }
        if (t.equalsIgnoreCase("geni_abac")) {
            if (v.equals("1")) {
                return Kind.ABAC;
            }
            throw new CredentialException(CredentialFailure.UNSUPPORTED_TYPE,
                    "credential type geni_abac version '" + v + "' is not supported; use version 1");
        }
        throw new CredentialException(CredentialFailure.UNSUPPORTED_TYPE, "credential type '" + t
                + "' is not supported; this AM accepts geni_sfa (versions 2, 3) and geni_abac (version 1)");
    }
}
