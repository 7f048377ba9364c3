/** Experimenter SSH access: GENI user URNs to Unix logins, and the user-list format the guest reads. */
package net.vnsnap.host.access;
