package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/** Raw mirror of the libxentoollog functions that give libxl a logger writing to a stdio stream. */
public interface XenToolLogRaw extends Library {
    /** {@code XTL_DEBUG} .. {@code XTL_ERROR} of {@code xentoollog_level}. */
    int XTL_DEBUG = 1;
    int XTL_PROGRESS = 4;
    int XTL_INFO = 5;
    int XTL_WARN = 7;
    int XTL_ERROR = 8;
    /** {@code XTL_STDIOSTREAM_SHOW_DATE}. */
    int XTL_STDIOSTREAM_SHOW_DATE = 002;
    /** {@code XTL_STDIOSTREAM_HIDE_PROGRESS}: no percentage lines from the save. */
    int XTL_STDIOSTREAM_HIDE_PROGRESS = 004;

    Pointer xtl_createlogger_stdiostream(Pointer f, int min_level, int flags);

    void xtl_logger_destroy(Pointer logger);
}
