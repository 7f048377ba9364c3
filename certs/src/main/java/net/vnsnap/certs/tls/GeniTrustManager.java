package net.vnsnap.certs.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import net.vnsnap.certs.trust.ChainException;
import net.vnsnap.certs.trust.ChainValidator;

/**
 * Accepts a TLS peer only when its certificate chains to the operator's current trust roots by the
 * GENI rules (validity, signatures, CA:TRUE issuers); host names are not checked because GENI peers
 * are named by the URN in their certificate, which the caller checks after the handshake.
 */
public final class GeniTrustManager extends X509ExtendedTrustManager {

    private final ChainValidator validator;

    public GeniTrustManager(ChainValidator validator) {
        this.validator = validator;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the peer sent no certificate");
        }
        try {
            validator.validate(chain[0], List.of(Arrays.copyOfRange(chain, 1, chain.length)));
        } catch (ChainException e) {
            throw new CertificateException("untrusted certificate " + chain[0].getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    /** The current roots, read per handshake so a changed trust-root directory is advertised at once. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return validator.roots().current().roots().toArray(new X509Certificate[0]);
    }
}
