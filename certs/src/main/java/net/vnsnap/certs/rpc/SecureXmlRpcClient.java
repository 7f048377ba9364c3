package net.vnsnap.certs.rpc;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcSunHttpTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactoryImpl;

/**
 * An XML-RPC client over mutual TLS: presents our identity and trusts the server only through the
 * GENI trust manager of {@code tls}; the server's host name is checked against its certificate.
 */
public final class SecureXmlRpcClient {

    private final XmlRpcClient client = new XmlRpcClient();

    public SecureXmlRpcClient(URI endpoint, SSLContext tls, int timeoutMillis) throws IOException {
        SafeRpcXml.install();
        XmlRpcClientConfigImpl cfg = new XmlRpcClientConfigImpl();
        cfg.setServerURL(endpoint.toURL());
        cfg.setEnabledForExtensions(false);
        cfg.setEnabledForExceptions(false);
        cfg.setConnectionTimeout(timeoutMillis);
        cfg.setReplyTimeout(timeoutMillis);
        cfg.setEncoding("UTF-8");
        client.setConfig(cfg);
        client.setTransportFactory(new XmlRpcTransportFactoryImpl(client) {
            @Override
            public org.apache.xmlrpc.client.XmlRpcTransport getTransport() {
                return new XmlRpcSunHttpTransport(client) {
                    @Override
                    protected URLConnection newURLConnection(URL url) throws IOException {
                        URLConnection c = super.newURLConnection(url);
                        if (c instanceof HttpsURLConnection https) {
                            https.setSSLSocketFactory(tls.getSocketFactory());
                        }
                        return c;
                    }
                };
            }
        });
    }

    /** Calls {@code method} with the given parameters and returns the decoded result. */
    public Object call(String method, Object... params) throws XmlRpcException {
        return client.execute(method, List.of(params));
    }
}
