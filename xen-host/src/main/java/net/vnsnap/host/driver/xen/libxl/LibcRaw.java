package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/** Raw mirror of the libc calls the libxl layer needs: the image file descriptor, libxl's malloc'd strings, stderr. */
public interface LibcRaw extends Library {
    int O_RDONLY = 0;
    int O_WRONLY = 01;
    int O_CREAT = 0100;
    int O_TRUNC = 01000;
    int O_CLOEXEC = 02000000;
    int SEEK_SET = 0;
    /** {@code _IOLBF}: line-buffered stdio stream. */
    int _IOLBF = 1;

    int open(String pathname, int flags, int mode);

    int close(int fd);

    long write(int fd, byte[] buf, long count);

    long lseek(int fd, long offset, int whence);

    int fsync(int fd);

    void free(Pointer ptr);

    Pointer fdopen(int fd, String mode);

    int setvbuf(Pointer stream, Pointer buf, int mode, long size);
}
