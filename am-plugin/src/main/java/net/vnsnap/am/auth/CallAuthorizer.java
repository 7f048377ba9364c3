package net.vnsnap.am.auth;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.vnsnap.am.api.ApiCall;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;
import net.vnsnap.certs.credential.AmOperation;
import net.vnsnap.certs.credential.CredentialEnvelope;
import net.vnsnap.certs.credential.CredentialException;
import net.vnsnap.certs.credential.CredentialFailure;
import net.vnsnap.certs.credential.CredentialVerifier;
import net.vnsnap.certs.credential.VerifiedCredential;
import net.vnsnap.certs.speaksfor.SpeaksFor;
import net.vnsnap.certs.speaksfor.SpeaksForVerifier;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.urn.InvalidUrnException;

/**
 * Decides who is acting in an AM API call and whether a credential lets them do it: the TLS caller, or
 * the user it speaks for (geni_speaking_for with a geni_abac credential); then the first geni_sfa
 * credential that is valid for that actor, the target and the operation. A credential that is malformed,
 * of an unknown type, badly signed or from an untrusted signer fails the whole call: none is ignored.
 */
public final class CallAuthorizer {

    /** The outcome: who acts, with which certificate chain and credential, and the tool when speaking for a user. */
    public record Authorization(GeniUrn actor, List<X509Certificate> actorChain, Optional<VerifiedCredential> credential,
            Optional<GeniUrn> tool) {
        public Authorization {
            actorChain = List.copyOf(actorChain);
        }
    }

    /** Failures that only say a credential is not the one for this call; any other failure refuses the call. */
    private static final Set<CredentialFailure> NOT_APPLICABLE = EnumSet.of(CredentialFailure.TARGET_MISMATCH,
            CredentialFailure.OWNER_MISMATCH, CredentialFailure.FORBIDDEN, CredentialFailure.EXPIRED,
            CredentialFailure.CERTIFICATE_EXPIRED);

    private final CredentialVerifier verifier;
    private final SpeaksForVerifier speaksFor;

    public CallAuthorizer(CredentialVerifier verifier, SpeaksForVerifier speaksFor) {
        this.verifier = verifier;
        this.speaksFor = speaksFor;
    }

    /**
     * Authorizes {@code op} on {@code target} (null for calls about no slice, such as ListResources, where
     * credentials are optional).
     */
    public Authorization authorize(ApiCall call, GeniUrn target, AmOperation op) throws GeniException {
        List<String> sfa = new ArrayList<>();
        List<String> abac = new ArrayList<>();
        int i = 0;
        for (CredentialEnvelope env : call.credentials()) {
            i++;
            try {
                if (env.kind() == CredentialEnvelope.Kind.SFA) {
                    sfa.add(env.xml());
                } else {
                    abac.add(env.xml());
                }
            } catch (CredentialException e) {
                throw new GeniException(e.code(), "credential " + i + ": " + e.getMessage());
            }
        }
        GeniUrn actor = call.caller().urn();
        List<X509Certificate> actorChain = call.caller().chain();
        Optional<GeniUrn> tool = Optional.empty();
        Optional<String> speakingFor = call.options().string("geni_speaking_for");
        if (speakingFor.isPresent()) {
            SpeaksFor sf = speaksFor(call, abac, speakingFor.get().trim());
            tool = Optional.of(actor);
            actor = sf.user();
            actorChain = sf.userChain();
        }
        if (sfa.isEmpty()) {
            if (target == null && op == AmOperation.LIST_RESOURCES) {
                return new Authorization(actor, actorChain, Optional.empty(), tool);
            }
            throw new GeniException(GeniCode.FORBIDDEN, "no geni_sfa credential was given; "
                    + (target == null ? op.tableName() : op.tableName() + " on " + target) + " needs one");
        }
        CredentialException best = null;
        // Every credential is verified, also after one applies: a bad one after a good one still refuses the call.
        Optional<VerifiedCredential> applies = Optional.empty();
        for (String xml : sfa) {
            try {
                VerifiedCredential v = verifier.verify(xml, actorChain, target, op.needsNoPrivilege() ? Set.of() : Set.of(op));
                if (applies.isEmpty()) {
                    applies = Optional.of(v);
                }
            } catch (CredentialException e) {
                if (!NOT_APPLICABLE.contains(e.reason())) {
                    throw e;
                }
                if (best == null || rank(e.reason()) > rank(best.reason())) {
                    best = e;
                }
            }
        }
        if (applies.isPresent()) {
            return new Authorization(actor, actorChain, applies, tool);
        }
        throw best;
    }

    private SpeaksFor speaksFor(ApiCall call, List<String> abac, String user) throws GeniException {
        GeniUrn userUrn;
        try {
            userUrn = GeniUrn.parse(user);
        } catch (InvalidUrnException e) {
            throw new GeniException(GeniCode.BADARGS, "geni_speaking_for: " + e.getMessage());
        }
        if (abac.isEmpty()) {
            throw new GeniException(GeniCode.CREDENTIAL_INVALID,
                    "geni_speaking_for names " + user + " but no geni_abac speaks-for credential was given");
        }
        CredentialException last = null;
        for (String xml : abac) {
            try {
                return speaksFor.verify(xml, call.caller().chain(), userUrn);
            } catch (CredentialException e) {
                last = e;
            }
        }
        throw new GeniException(last.code(), "speaks-for refused: " + last.getMessage());
    }

    /** Which refusal explains best why no credential applied: a wrong privilege beats expiry beats a mismatch. */
    private static int rank(CredentialFailure f) {
        return switch (f) {
            case FORBIDDEN -> 4;
            case EXPIRED, CERTIFICATE_EXPIRED -> 3;
            case OWNER_MISMATCH -> 2;
            default -> 1;
        };
    }
}
