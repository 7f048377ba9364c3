/**
 * Experimenter SSH access: GENI user URNs to Unix logins, the user-list format the test guest reads, and the
 * cloud-init NoCloud seed (content and ISO image) cloud images read.
 */
package net.vnsnap.host.access;
