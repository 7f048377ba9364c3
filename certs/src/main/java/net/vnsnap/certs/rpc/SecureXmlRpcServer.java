package net.vnsnap.certs.rpc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import net.vnsnap.certs.tls.TlsContexts;
import net.vnsnap.certs.urn.GeniUrn;
import net.vnsnap.certs.x509.GeniCertificate;
import net.vnsnap.certs.xml.SizeCappedInputStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.server.XmlRpcServerConfigImpl;
import org.apache.xmlrpc.server.XmlRpcStreamServer;

/**
 * XML-RPC over HTTPS with mandatory client certificates, for the AM and the host agents: the caller is
 * the URN of its validated certificate; request bodies are capped; XML is parsed without DOCTYPEs or
 * external entities; extensions and exception serialization are off; a bounded pool serves requests;
 * and every answer, even to a broken request, is an ordinary response built by the endpoint, never a fault.
 */
public final class SecureXmlRpcServer implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(SecureXmlRpcServer.class);

    /** How the server is bounded. */
    public record Limits(long maxBodyBytes, int threads, int queue) {
        /** 8 MiB bodies (RSpecs and credentials are far smaller), 16 workers, 64 waiting requests. */
        public static final Limits DEFAULT = new Limits(8L * 1024 * 1024, 16, 64);
    }

    private final HttpsServer http;
    private final ThreadPoolExecutor pool;
    private final Limits limits;
    private final Map<String, RpcEndpoint> endpoints = new ConcurrentHashMap<>();

    /** Binds (port 0 picks a free port) but does not start serving until {@link #start}. */
    public SecureXmlRpcServer(InetSocketAddress bind, SSLContext tls, Limits limits) throws IOException {
        SafeRpcXml.install();
        this.limits = limits;
        this.http = HttpsServer.create(bind, 128);
        http.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                params.setSSLParameters(TlsContexts.serverParameters(tls));
            }
        });
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(limits.threads(), limits.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.queue()), r -> {
                    Thread t = new Thread(r, "xmlrpc-" + bind.getPort() + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        http.setExecutor(pool);
    }

    /** Serves {@code endpoint} at {@code path} (e.g. "/" or "/am/2.0"). */
    public SecureXmlRpcServer serve(String path, RpcEndpoint endpoint) {
        endpoints.put(path, endpoint);
        http.createContext(path, this::handle);
        return this;
    }

    public void start() {
        http.start();
    }

    /** The port actually bound. */
    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            RpcEndpoint endpoint = endpoints.get(ex.getHttpContext().getPath());
            if (endpoint == null || !ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
                respond(ex, 404, "text/plain", "no XML-RPC endpoint at " + ex.getRequestURI().getPath() + "\n");
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "POST");
                respond(ex, 405, "text/plain", "XML-RPC needs POST\n");
                return;
            }
            Optional<RpcCaller> caller = caller(ex);
            if (caller.isEmpty()) {
                // TLS required a certificate, so this is one without a GENI URN.
                respond(ex, 403, "text/plain", "the client certificate names no GENI URN\n");
                return;
            }
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            if (length != null && parseLong(length) > limits.maxBodyBytes()) {
                byte[] body = render(endpoint.badRequest("request body of " + length + " bytes exceeds the limit of "
                        + limits.maxBodyBytes() + " bytes"));
                respond(ex, 413, "text/xml", body);
                return;
            }
            InputStream in = new SizeCappedInputStream(ex.getRequestBody(), limits.maxBodyBytes());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new Dispatcher(endpoint, caller.get()).execute(requestConfig(), new org.apache.xmlrpc.common.ServerStreamConnection() {
                public InputStream newInputStream() {
                    return in;
                }

                public OutputStream newOutputStream() {
                    return out;
                }

                public void close() {
                }
            });
            byte[] body = out.toByteArray();
            boolean gzip = acceptsGzip(ex) && body.length > 1024;
            if (gzip) {
                ByteArrayOutputStream z = new ByteArrayOutputStream();
                try (GZIPOutputStream g = new GZIPOutputStream(z)) {
                    g.write(body);
                }
                body = z.toByteArray();
                ex.getResponseHeaders().add("Content-Encoding", "gzip");
            }
            respond(ex, 200, "text/xml", body);
        } catch (Exception e) {
            LOG.warn("request from {} failed: {}", ex.getRemoteAddress(), e.toString());
            try {
                respond(ex, 500, "text/plain", "internal error\n");
            } catch (IOException ignored) {
                // The client is gone.
            }
        } finally {
            ex.close();
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean acceptsGzip(HttpExchange ex) {
        String enc = ex.getRequestHeaders().getFirst("Accept-Encoding");
        return enc != null && enc.toLowerCase(java.util.Locale.ROOT).contains("gzip");
    }

    private static Optional<RpcCaller> caller(HttpExchange ex) {
        if (!(ex instanceof HttpsExchange https)) {
            return Optional.empty();
        }
        try {
            Certificate[] peer = https.getSSLSession().getPeerCertificates();
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : peer) {
                chain.add((X509Certificate) c);
            }
            Optional<GeniUrn> urn = GeniCertificate.of(chain.get(0)).urn();
            return urn.map(u -> new RpcCaller(chain, u));
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static void respond(HttpExchange ex, int status, String type, String text) throws IOException {
        respond(ex, status, type, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    private static XmlRpcServerConfigImpl config() {
        XmlRpcServerConfigImpl c = new XmlRpcServerConfigImpl();
        c.setEnabledForExtensions(false);
        c.setEnabledForExceptions(false);
        c.setContentLengthOptional(true);
        c.setEncoding("UTF-8");
        return c;
    }

    private static org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl requestConfig() {
        org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl c = new org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl();
        c.setEnabledForExtensions(false);
        c.setEnabledForExceptions(false);
        c.setContentLengthOptional(true);
        c.setEncoding("UTF-8");
        return c;
    }

    /** Serializes one response value as a methodResponse. */
    private byte[] render(Object value) throws XmlRpcException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Dispatcher(null, null).write(requestConfig(), out, value);
        return out.toByteArray();
    }

    /**
     * Apache XML-RPC's stream server with our endpoint as the only handler; unreadable requests are
     * answered through the endpoint's {@code badRequest} instead of a fault.
     */
    private static final class Dispatcher extends XmlRpcStreamServer {
        private final RpcEndpoint endpoint;

        Dispatcher(RpcEndpoint endpoint, RpcCaller caller) {
            this.endpoint = endpoint;
            setConfig(config());
            setHandlerMapping(method -> (XmlRpcRequest req) -> {
                List<Object> params = new ArrayList<>(req.getParameterCount());
                for (int i = 0; i < req.getParameterCount(); i++) {
                    params.add(req.getParameter(i));
                }
                try {
                    return endpoint.call(caller, req.getMethodName(), params);
                } catch (Exception e) {
                    LOG.warn("{} from {} failed", req.getMethodName(), caller.urn(), e);
                    return endpoint.internalError(req.getMethodName(), e);
                }
            });
        }

        void write(XmlRpcStreamRequestConfig cfg, OutputStream out, Object value) throws XmlRpcException {
            writeResponse(cfg, out, value);
        }

        @Override
        protected void writeError(XmlRpcStreamRequestConfig cfg, OutputStream out, Throwable t) throws XmlRpcException {
            writeResponse(cfg, out, endpoint.badRequest(SafeRpcXml.describe(t)));
        }

        @Override
        protected void logError(Throwable t) {
            LOG.debug("unreadable XML-RPC request: {}", t.toString());
        }
    }
}
