package net.vnsnap.certs.xml;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** An input stream that fails once more than a fixed number of bytes have been read from it. */
public final class SizeCappedInputStream extends FilterInputStream {

    /** Thrown when the cap is passed; an IOException so it travels through parsers unchanged. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(long cap) {
            super("document is larger than the limit of " + cap + " bytes");
        }
    }

    private final long cap;
    private long count;

    public SizeCappedInputStream(InputStream in, long cap) {
        super(in);
        this.cap = cap;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            add(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            add(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        add(skipped);
        return skipped;
    }

    private void add(long n) throws TooLargeException {
        count += n;
        if (count > cap) {
            throw new TooLargeException(cap);
        }
    }
}
