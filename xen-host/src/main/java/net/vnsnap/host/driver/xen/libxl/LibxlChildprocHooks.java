package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/** Mirror of {@code libxl_childproc_hooks} (libxl_event.h); the driver sets only the owner, no callbacks. */
@Structure.FieldOrder({"chldowner", "fork_replacement", "reaped_callback"})
public class LibxlChildprocHooks extends Structure {
    public int chldowner;
    public Pointer fork_replacement;
    public Pointer reaped_callback;
}
