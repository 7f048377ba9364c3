/** GENI identity certificates: PEM chains and keys, the subjectAltName URN identity, CA flag and key id. */
package net.vnsnap.certs.x509;
