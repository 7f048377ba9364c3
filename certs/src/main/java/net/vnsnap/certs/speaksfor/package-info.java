/** Verification of geni_abac speaks-for credentials that let a tool act for a user. */
package net.vnsnap.certs.speaksfor;
