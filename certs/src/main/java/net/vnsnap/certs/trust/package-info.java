/** Trusted roots from an operator-managed directory, and cached validation of certificate chains against them. */
package net.vnsnap.certs.trust;
