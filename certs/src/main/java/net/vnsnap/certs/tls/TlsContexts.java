package net.vnsnap.certs.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import net.vnsnap.certs.federation.Identity;
import net.vnsnap.certs.trust.ChainValidator;

/** TLS contexts for GENI peers: our identity as the key, the operator's trust roots as the only judges of the peer. */
public final class TlsContexts {

    /** Protocols we speak: TLS 1.3 first; 1.2 for older GENI tools. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** Password of the in-memory key store; it never reaches a disk. */
    private static final char[] IN_MEMORY = "vnsnap".toCharArray();

    private TlsContexts() {
    }

    /** A context that presents {@code identity} and trusts peers whose chains {@code validator} accepts. */
    public static SSLContext create(Identity identity, ChainValidator validator) throws GeneralSecurityException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("identity", identity.key(), IN_MEMORY, identity.chain().toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, IN_MEMORY);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), new TrustManager[] {new GeniTrustManager(validator)}, null);
            return ctx;
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException("cannot build the TLS key store", e);
        }
    }

    /** Server parameters: client certificates required, only our protocols. */
    public static SSLParameters serverParameters(SSLContext ctx) {
        SSLParameters p = ctx.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS);
        p.setNeedClientAuth(true);
        return p;
    }
}
