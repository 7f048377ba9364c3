package net.vnsnap.host.driver.xen.libxl;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/** Mirror of {@code libxl_domain_restore_params} (_libxl_types.h); {@code libxl_defbool} is {@code struct { int val; }}. */
@Structure.FieldOrder({"checkpointed_stream", "stream_version", "colo_proxy_script", "userspace_colo_proxy"})
public class LibxlDomainRestoreParams extends Structure {
    public int checkpointed_stream;
    public int stream_version;
    public Pointer colo_proxy_script;
    public int userspace_colo_proxy;
}
