/** Verification of geni_sfa signed credentials and their delegation chains, and the privileges they grant. */
package net.vnsnap.certs.credential;
