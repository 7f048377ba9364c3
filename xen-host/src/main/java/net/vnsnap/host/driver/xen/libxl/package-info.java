/**
 * Raw layer of the Xen driver: JNA interfaces that mirror, name for name and argument for argument, the C functions
 * the driver calls from Debian's Xen 4.17 {@code libxl.h}, {@code libxl_utils.h}, {@code libxl_event.h},
 * {@code _libxl_types.h}, {@code xentoollog.h}, {@code xenstore.h} and libc, plus the two small structs it fills in
 * ({@code libxl_domain_restore_params}, {@code libxl_childproc_hooks}). Nothing here checks return codes or converts
 * types: {@code net.vnsnap.host.driver.xen.Libxl} is the only caller and funnels every result code. Big structs
 * ({@code libxl_domain_config}, {@code libxl_dominfo}, {@code libxl_physinfo}, {@code libxl_version_info}) are opaque
 * buffers read and written through libxl's own JSON functions, so their layouts are not mirrored.
 * {@code LibxlHeaderMatchTest} checks every prototype here against the real headers.
 */
package net.vnsnap.host.driver.xen.libxl;
